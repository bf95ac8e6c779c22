import ssh2 from 'ssh2';
import { afterAll, beforeAll } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/cloud/sim/index.ts';
import type { VastInstanceWire, VastOfferWire } from '../../src/cloud/sim/wire-types.ts';
import { generateValidPair } from '../../src/cloud/ssh/ssh-keys.ts';
import { waitFor } from './wait.ts';

/** Talks to the simulator the way a vast.ai client does: plain fetch, Bearer key. */
export interface ApiAnswer<T = unknown> {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  text: string;
  json: T;
}

export function vastApi(sim: Simulator, apiKey = 'test-key') {
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiAnswer<T>> => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Plain-text answers (429, gateway pages) stay in `text`.
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      retryAfter: response.headers.get('retry-after'),
      text,
      json: json as T,
    };
  };
  return {
    call,
    search: async (query: Record<string, unknown>) =>
      (await call<{ offers: VastOfferWire[] }>('POST', '/api/v0/bundles/', query)).json.offers,
    create: (offerId: number, body: Record<string, unknown> = {}) =>
      call<{ success: boolean; new_contract?: number; error?: string; msg?: string }>(
        'PUT',
        `/api/v0/asks/${offerId}/`,
        {
          client_id: 'me',
          image: 'pytorch/pytorch:latest',
          disk: 16,
          runtype: 'ssh_direct',
          ...body,
        },
      ),
    show: async (id: number) =>
      (await call<{ instances: VastInstanceWire | null }>('GET', `/api/v0/instances/${id}/?owner=me`)).json
        .instances,
    setState: (id: number, state: 'running' | 'stopped') =>
      call<{ success: boolean; error?: string; msg?: string }>('PUT', `/api/v0/instances/${id}/`, { state }),
    destroy: (id: number) => call<{ success: boolean }>('DELETE', `/api/v0/instances/${id}/`, {}),
    registerKey: (publicKey: string) => call('POST', '/api/v0/ssh/', { ssh_key: publicKey }),
  };
}

export type VastApi = ReturnType<typeof vastApi>;

/** A simulator at test speed; every delay is 1% of vast.ai's. */
export function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ timeScale: 0.01, offers: 2_400, ...options });
}

export interface SimulatorFixture {
  /** The suite's simulator; it reaches the running one when used, in a test or a hook. */
  sim: Simulator;
  /** A vast.ai client of `sim` with the default key. */
  api: VastApi;
}

/**
 * A test simulator (see startTestSimulator) for the enclosing suite: started in beforeAll and
 * closed in afterAll. `sim` and `api` can be taken at once, at collection time, and used in tests
 * and hooks; hooks registered after this one run after the start and (afterAll) before the close.
 */
export function useSimulator(options: SimulatorOptions = {}): SimulatorFixture {
  let started: Simulator | undefined;
  const running = (): Simulator => {
    if (!started) throw new Error('The simulator of useSimulator() runs from beforeAll to afterAll only.');
    return started;
  };
  beforeAll(async () => {
    started = await startTestSimulator(options);
  });
  afterAll(async () => {
    await started?.close();
    started = undefined;
  });
  const sim: Simulator = {
    get url() {
      return running().url;
    },
    get adminUrl() {
      return running().adminUrl;
    },
    get adminKey() {
      return running().adminKey;
    },
    get market() {
      return running().market;
    },
    get admin() {
      return running().admin;
    },
    get dataDir() {
      return running().dataDir;
    },
    close: () => running().close(),
  };
  return { sim, api: vastApi(sim) };
}

/** Polls until the instance reports this actual_status; returns the instance as then shown. */
export function waitForStatus(api: VastApi, id: number, status: string | null): Promise<VastInstanceWire> {
  return waitFor(
    async () => {
      const instance = await api.show(id);
      return instance && instance.actual_status === status ? instance : undefined;
    },
    { what: `instance ${id} to be ${String(status)}` },
  );
}

export interface ExecOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One command over real SSH (ssh2 Client), stdin optional. */
export function sshExec(
  target: { host: string; port: number; privateKey: string },
  command: string,
  stdin?: Buffer | string,
): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    conn
      .on('ready', () => {
        conn.exec(command, (err, stream) => {
          if (err) {
            conn.end();
            reject(err);
            return;
          }
          const out: ExecOutcome = { code: null, stdout: '', stderr: '' };
          stream.on('data', (d: Buffer) => {
            out.stdout += d.toString('utf8');
          });
          stream.stderr.on('data', (d: Buffer) => {
            out.stderr += d.toString('utf8');
          });
          stream.on('exit', (code: number | null) => {
            out.code = code;
          });
          stream.on('close', () => {
            conn.end();
            resolve(out);
          });
          if (stdin !== undefined) stream.end(stdin);
          else stream.end();
        });
      })
      .on('error', reject)
      .connect({
        host: target.host,
        port: target.port,
        username: 'root',
        privateKey: target.privateKey,
        // Generous: handshakes are CPU-bound and the full suite runs two test files at once on two cores.
        readyTimeout: 30_000,
      });
  });
}

/** A key pair ssh2 can parse (its generator makes a malformed one about once in 200). */
export function newKeyPair(): { private: string; public: string } {
  return generateValidPair();
}

/** The cheapest listed offer matching the query, for tests that need any machine. */
export async function cheapestOffer(
  api: VastApi,
  query: Record<string, unknown> = {},
): Promise<VastOfferWire> {
  const [offer] = await api.search({ order: [['dph_total', 'asc']], limit: 1, ...query });
  if (!offer) throw new Error(`No offer matches ${JSON.stringify(query)}`);
  return offer;
}
