import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { FailureInjector } from './failure-injector.ts';
import { InstanceRegistry } from './instance-registry.ts';
import { Market } from './market.ts';
import { buildSimServer } from './server.ts';
import { createSimAdmin, type SimAdmin } from './sim-admin.ts';
import { SshKeyring } from './ssh-keyring.ts';
import { type PersistedSimState, STATE_FILE_VERSION, StateFile } from './state-file.ts';

export interface SimulatorOptions {
  /** Address the HTTP API listens on. Default 127.0.0.1. SSH endpoints always use 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Seeds the market. Default 42. */
  seed?: number;
  /** Number of offers (machines) in the market. Default 2400. */
  offers?: number;
  /** Multiplies every delay: 1 is vast.ai-like (tens of seconds to boot), 0.01 suits tests, 0 is immediate. Default 1. */
  timeScale?: number;
  /**
   * Each instance's SSH connection runs at its offer's `inet_up` (what it sends) and `inet_down`
   * (what it receives), as a rented host's network would. Default off: as fast as this machine.
   */
  linkSpeeds?: boolean;
  /**
   * How long one optimizer step of the instances' stand-in trainer (`trl sft`, see trl-stand-in.ts)
   * takes, in ms. Default 1500 × timeScale: a QLoRA step of a 7-8B model on one 24 GB GPU.
   */
  trainerStepMs?: number;
  /**
   * Where instance workspaces live and state.json persists, so a restart keeps the account's
   * instances and keys. Default: a fresh temporary folder, removed on close, and no persistence.
   */
  dataDir?: string;
  /** When set, API requests must carry `Authorization: Bearer <key>` (or `?api_key=`); otherwise any key works. */
  apiKey?: string;
  /**
   * What `/admin/*` requires as `Authorization: Bearer <key>`. Default: a new random key at every
   * start, so only whoever started the simulator (and what it hands the key to) can inject faults.
   */
  adminKey?: string;
  /** The account's prepaid credit, USD, as `GET /api/v0/users/current/` reports it. Default 100. */
  credit?: number;
  /** Default: silent. */
  logger?: Logger;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:41234; the API is under /api/v0 and /api/v1. */
  url: string;
  /** `${url}/admin`: failure injection and inspection. */
  adminUrl: string;
  /** The admin API's key, sent as `Authorization: Bearer <key>`. */
  adminKey: string;
  market: Market;
  /** The admin API in-process (the same operations as the HTTP endpoints). */
  admin: SimAdmin;
  dataDir: string;
  /** Stops the HTTP server, every SSH endpoint and process, and saves the state. */
  close(): Promise<void>;
}

function checkOptions(
  o: Required<Pick<SimulatorOptions, 'port' | 'seed' | 'offers' | 'timeScale'>> &
    Pick<SimulatorOptions, 'trainerStepMs'>,
): void {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535) {
    throw new Error(`Simulator port must be 0-65535 (0 picks a free one), not ${o.port}.`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`Simulator seed must be a whole number, not ${o.seed}.`);
  if (!Number.isInteger(o.offers) || o.offers < 1) {
    throw new Error(`Simulator offers must be a whole number of at least 1, not ${o.offers}.`);
  }
  if (!Number.isFinite(o.timeScale) || o.timeScale < 0) {
    throw new Error(`Simulator timeScale must be 0 or more (1 = realistic delays), not ${o.timeScale}.`);
  }
  if (o.trainerStepMs !== undefined && (!Number.isFinite(o.trainerStepMs) || o.trainerStepMs < 0)) {
    throw new Error(`Simulator trainerStepMs must be 0 or more milliseconds, not ${o.trainerStepMs}.`);
  }
}

function urlHost(host: string): string {
  // A wildcard address is not something to connect to; clients on this machine use loopback.
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts the simulated vast.ai marketplace. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  const seed = opts.seed ?? 42;
  const offers = opts.offers ?? 2_400;
  const timeScale = opts.timeScale ?? 1;
  checkOptions({ port, seed, offers, timeScale, trainerStepMs: opts.trainerStepMs });
  const logger = opts.logger ?? pino({ level: 'silent' });

  const ownsDataDir = opts.dataDir === undefined;
  // Absolute, since instances' command lines name their folders (see container-paths.ts).
  const dataDir = path.resolve(opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'gpuops-sim-'))));
  await mkdir(dataDir, { recursive: true });

  const market = new Market(seed, offers);
  const keyring = new SshKeyring();
  const injector = new FailureInjector();
  let stateFile: StateFile | null = null;
  const changed = () => stateFile?.scheduleSave();
  const registry = new InstanceRegistry({
    market,
    keyring,
    dataDir,
    timeScale,
    linkSpeeds: opts.linkSpeeds,
    trainerStepMs: opts.trainerStepMs ?? 1_500 * timeScale,
    logger,
    onChange: changed,
  });

  if (!ownsDataDir) {
    const statePath = path.join(dataDir, 'state.json');
    const saved = await StateFile.load(statePath);
    if (saved) {
      if (saved.seed === seed && saved.offers === offers) market.restore(saved.market);
      else {
        logger.warn(
          { savedSeed: saved.seed, savedOffers: saved.offers, seed, offers },
          'sim state was saved for another market; instances kept, market rentals dropped',
        );
      }
      keyring.restore(saved.sshKeys);
      await registry.restore(saved.instances);
    }
    const collect = (): PersistedSimState => ({
      version: STATE_FILE_VERSION,
      seed,
      offers,
      savedAt: new Date().toISOString(),
      market: market.snapshot(),
      sshKeys: keyring.snapshot(),
      instances: registry.snapshot(),
    });
    stateFile = new StateFile(statePath, collect, logger);
  }

  const adminKey = opts.adminKey ?? randomBytes(24).toString('base64url');
  if (adminKey.trim().length < 16) throw new Error('Simulator adminKey must be at least 16 characters.');
  const admin = createSimAdmin({ market, registry, injector, keyring, timeScale });
  const app = buildSimServer({
    market,
    registry,
    keyring,
    injector,
    admin,
    apiKey: opts.apiKey,
    adminKey,
    credit: opts.credit ?? 100,
    logger,
    onChange: changed,
  });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await registry.close();
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${urlHost(host)}:${boundPort}`;
  logger.info({ url, seed, offers, timeScale, dataDir }, 'simulated marketplace listening');

  const adminUrl = `${url}/admin`;
  let closing: Promise<void> | null = null;
  return {
    url,
    adminUrl,
    adminKey,
    market,
    admin,
    dataDir,
    close() {
      closing ??= (async () => {
        await app.close();
        await registry.close();
        if (stateFile) {
          stateFile.scheduleSave();
          await stateFile.flush();
        }
        if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
