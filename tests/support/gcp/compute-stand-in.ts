import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { SshHost } from '../../../src/cloud/sim/ssh-host.ts';
import { SshKeyring } from '../../../src/cloud/sim/ssh-keyring.ts';
import { generateValidPair } from '../../../src/cloud/ssh/ssh-keys.ts';
import { silentLogger } from '../../../src/log.ts';

/**
 * A local stand-in of the Compute Engine REST API (v1), as much of it as gpuops uses: instances
 * insert, get, list, delete, start and stop, and zone operations get and wait, on Google's paths,
 * with Google's JSON (instances, operations, `{error:{code,message,errors:[{reason}]}}`) and a
 * Bearer token checked on every request. Each VM it runs answers SSH at its own external address
 * (natIP): a loopback address 127.0.0.N of its own, on one port shared by all (`sshPort`, what
 * GPUOPS_GCP_SSH_PORT must say), as real VMs all answer on 22 at different addresses. Logins take
 * the keys of the VM's `ssh-keys` metadata; commands run in a folder of its own (the login's home).
 * Ephemeral addresses are given up on stop and a new one taken on start, as GCP does.
 */

export interface ComputeStandInOptions {
  /** The one project it knows. Default `gpuops-test`. */
  project?: string;
  /** Zones it knows. Default us-central1-a and europe-west4-b. */
  zones?: readonly string[];
  /** The token requests must carry. Default `fake` (gpuops's token for a local endpoint). */
  accessToken?: string;
  /** From insert (or start) to RUNNING. Default 30 ms. */
  bootMs?: number;
  /** Longest a `wait` holds before answering with an operation not yet done. Default 120 s, as GCP. */
  waitCapMs?: number;
}

/** A request as it reached the stand-in. */
export interface RecordedComputeCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export type ComputeMethod = 'insert' | 'get' | 'list' | 'delete' | 'start' | 'stop' | 'wait';

/** An HTTP error answered instead of the next call of a method. */
export interface HttpFault {
  status: number;
  message: string;
  /** Google's `errors[0].reason`, e.g. quotaExceeded, rateLimitExceeded, backendError. */
  reason?: string;
}

/** An error the next operation of a kind ends with (DONE, with `error.errors`). */
export interface OperationFault {
  code: string;
  message: string;
}

export interface StandInVm {
  name: string;
  status: string;
  natIp: string | undefined;
  machineType: string;
  labels: Record<string, string>;
  spot: boolean;
  /** The SSH login's home and working folder on this machine. */
  home: string;
  /** The `ssh-keys` metadata as sent. */
  sshKeys: string;
}

export interface ComputeStandIn {
  /** e.g. http://127.0.0.1:41234, for GPUOPS_GCP_API_ENDPOINT. */
  readonly url: string;
  readonly project: string;
  readonly zone: string;
  /** The port every VM's SSH listens on, at its natIP. */
  readonly sshPort: number;
  /** The settings that point gpuops at this stand-in (project, endpoint, SSH port). */
  readonly env: Readonly<Record<string, string>>;
  readonly calls: RecordedComputeCall[];
  vms(): StandInVm[];
  vm(name: string): StandInVm | undefined;
  /** Answers the next call of `method` with this HTTP error. */
  failNext(method: ComputeMethod, fault: HttpFault): void;
  /** Ends the next operation of this type (insert, start, stop, delete) with this error. */
  failNextOperation(type: 'insert' | 'start' | 'stop' | 'delete', fault: OperationFault): void;
  /** What GCP does to a spot VM it takes back: stops it (TERMINATED), SSH gone with its address. */
  preempt(name: string): Promise<void>;
  /** Changes how long machines take to boot from now on. */
  setBootMs(ms: number): void;
  close(): Promise<void>;
}

const GOOGLE_BASE = 'https://www.googleapis.com/compute/v1';
const KNOWN_MACHINE =
  /^(?:(?:e2|n2|n2d|n1|c3)-(?:standard|highmem|highcpu)-\d{1,3}|e2-(?:micro|small|medium))$/;
const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

interface VmRecord {
  id: string;
  name: string;
  zone: string;
  machineType: string;
  status: string;
  labels: Record<string, string>;
  metadataItems: Array<{ key: string; value: string }>;
  scheduling: Record<string, unknown>;
  diskGb: string;
  networkIp: string;
  natIp: string | undefined;
  created: string;
  home: string;
  hostKey: string;
  ssh: SshHost | undefined;
  lastStart: string | undefined;
  lastStop: string | undefined;
}

interface OperationRecord {
  id: string;
  name: string;
  zone: string;
  operationType: string;
  targetLink: string;
  targetId: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  insertTime: string;
  startTime: string;
  endTime: string | undefined;
  error: OperationFault | undefined;
  waiters: Set<() => void>;
}

class GoogleError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly domain = 'global',
  ) {
    super(message);
  }
}

const STATUS_NAME: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function sendError(reply: FastifyReply, status: number, message: string, reason: string, domain = 'global') {
  const body: Record<string, unknown> = {
    code: status,
    message,
    errors: [{ message, domain, reason }],
  };
  if (status === 401) body.status = 'UNAUTHENTICATED';
  else if (STATUS_NAME[status] && status !== 404 && status !== 409 && status !== 400)
    body.status = STATUS_NAME[status];
  return reply.code(status).type('application/json; charset=UTF-8').send({ error: body });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function numericId(): string {
  return BigInt(`0x${randomBytes(7).toString('hex')}`).toString();
}

/** A port free on loopback now: every VM's SSH listens on it, each at its own address. */
async function pickPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startComputeStandIn(options: ComputeStandInOptions = {}): Promise<ComputeStandIn> {
  const project = options.project ?? 'gpuops-test';
  const zones = options.zones ?? ['us-central1-a', 'europe-west4-b'];
  const token = options.accessToken ?? 'fake';
  let bootMs = options.bootMs ?? 30;
  const waitCapMs = options.waitCapMs ?? 120_000;
  const root = await mkdtemp(path.join(tmpdir(), 'gpuops-gcp-'));
  const sshPort = await pickPort();
  const vms = new Map<string, VmRecord>();
  const operations = new Map<string, OperationRecord>();
  const calls: RecordedComputeCall[] = [];
  const httpFaults = new Map<ComputeMethod, HttpFault[]>();
  const opFaults = new Map<string, OperationFault[]>();
  const pending = new Set<Promise<unknown>>();
  let nextAddress = 2;
  let nextNetworkIp = 2;
  let closed = false;

  const key = (zone: string, name: string) => `${zone}/${name}`;
  const zoneLink = (zone: string) => `${GOOGLE_BASE}/projects/${project}/zones/${zone}`;
  const instanceLink = (vm: VmRecord) => `${zoneLink(vm.zone)}/instances/${vm.name}`;
  const notFound = (what: string) => new GoogleError(404, `The resource '${what}' was not found`, 'notFound');

  function takeFault(method: ComputeMethod): HttpFault | undefined {
    return httpFaults.get(method)?.shift();
  }

  async function startSsh(vm: VmRecord): Promise<void> {
    const keyring = new SshKeyring();
    const entry = vm.metadataItems.find((i) => i.key === 'ssh-keys')?.value ?? '';
    for (const line of entry.split('\n')) {
      // "user:ssh-ed25519 AAAA... comment": the login, then the key.
      const at = line.indexOf(':');
      if (at > 0) keyring.add(line.slice(at + 1));
    }
    for (let attempt = 0; attempt < 200; attempt++) {
      const address = `127.0.0.${nextAddress}`;
      nextAddress = nextAddress >= 254 ? 2 : nextAddress + 1;
      try {
        vm.ssh = await SshHost.start({
          instanceId: Number(vm.id.slice(-6)),
          hostKey: vm.hostKey,
          cwd: vm.home,
          env: {
            HOME: vm.home,
            USER: 'gpuops',
            LOGNAME: 'gpuops',
            SHELL: '/bin/sh',
            LANG: 'C.UTF-8',
            PATH: process.env.PATH ?? '/usr/bin:/bin',
          },
          keyring,
          logger: silentLogger,
          host: address,
          port: sshPort,
        });
        vm.natIp = address;
        return;
      } catch (err) {
        // Another process holds this address and port: the next address will do.
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw new Error('no loopback address free for SSH');
  }

  async function stopSsh(vm: VmRecord): Promise<void> {
    await vm.ssh?.stop();
    vm.ssh = undefined;
    vm.natIp = undefined;
  }

  /** Starts an operation on a VM; `work` runs after it and the operation ends with its outcome. */
  function operate(vm: VmRecord, type: string, work: () => Promise<void>): OperationRecord {
    const now = new Date().toISOString();
    const op: OperationRecord = {
      id: numericId(),
      name: `operation-${Date.now()}-${randomBytes(6).toString('hex')}-${randomBytes(4).toString('hex')}`,
      zone: vm.zone,
      operationType: type,
      targetLink: instanceLink(vm),
      targetId: vm.id,
      status: 'RUNNING',
      insertTime: now,
      startTime: now,
      endTime: undefined,
      error: undefined,
      waiters: new Set(),
    };
    operations.set(op.name, op);
    const fault = opFaults.get(type)?.shift();
    const run = (async () => {
      try {
        if (fault) {
          await sleep(bootMs);
          op.error = fault;
          // A create that fails leaves no VM behind, as on GCP.
          if (type === 'insert') {
            await stopSsh(vm);
            vms.delete(key(vm.zone, vm.name));
          }
        } else {
          await work();
        }
      } catch (err) {
        op.error = { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) };
      } finally {
        op.status = 'DONE';
        op.endTime = new Date().toISOString();
        for (const wake of op.waiters) wake();
        op.waiters.clear();
      }
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
    return op;
  }

  async function boot(vm: VmRecord): Promise<void> {
    vm.status = 'STAGING';
    await sleep(bootMs);
    if (closed) return;
    await startSsh(vm);
    vm.status = 'RUNNING';
    vm.lastStart = new Date().toISOString();
  }

  async function halt(vm: VmRecord): Promise<void> {
    vm.status = 'STOPPING';
    await sleep(bootMs / 2);
    await stopSsh(vm);
    vm.status = 'TERMINATED';
    vm.lastStop = new Date().toISOString();
  }

  function vmJson(vm: VmRecord) {
    return {
      kind: 'compute#instance',
      id: vm.id,
      creationTimestamp: vm.created,
      name: vm.name,
      tags: { fingerprint: '42WmSpB8rSM=' },
      machineType: `${zoneLink(vm.zone)}/machineTypes/${vm.machineType}`,
      status: vm.status,
      zone: zoneLink(vm.zone),
      canIpForward: false,
      networkInterfaces: [
        {
          kind: 'compute#networkInterface',
          network: `${GOOGLE_BASE}/projects/${project}/global/networks/default`,
          networkIP: vm.networkIp,
          name: 'nic0',
          accessConfigs: [
            {
              kind: 'compute#accessConfig',
              type: 'ONE_TO_ONE_NAT',
              name: 'External NAT',
              networkTier: 'PREMIUM',
              ...(vm.natIp && { natIP: vm.natIp }),
            },
          ],
          stackType: 'IPV4_ONLY',
        },
      ],
      disks: [
        {
          kind: 'compute#attachedDisk',
          type: 'PERSISTENT',
          mode: 'READ_WRITE',
          source: `${zoneLink(vm.zone)}/disks/${vm.name}`,
          deviceName: 'persistent-disk-0',
          index: 0,
          boot: true,
          autoDelete: true,
          diskSizeGb: vm.diskGb,
        },
      ],
      metadata: { kind: 'compute#metadata', fingerprint: 'bR5OPZmvc4c=', items: vm.metadataItems },
      selfLink: instanceLink(vm),
      scheduling: vm.scheduling,
      labels: vm.labels,
      labelFingerprint: 'vezUS-42LLM=',
      startRestricted: false,
      deletionProtection: false,
      ...(vm.lastStart && { lastStartTimestamp: vm.lastStart }),
      ...(vm.lastStop && { lastStopTimestamp: vm.lastStop }),
    };
  }

  function opJson(op: OperationRecord) {
    return {
      kind: 'compute#operation',
      id: op.id,
      name: op.name,
      zone: zoneLink(op.zone),
      operationType: op.operationType,
      targetLink: op.targetLink,
      targetId: op.targetId,
      status: op.status,
      user: 'gpuops@gpuops-test.iam.gserviceaccount.com',
      progress: op.status === 'DONE' ? 100 : 0,
      insertTime: op.insertTime,
      startTime: op.startTime,
      ...(op.endTime && { endTime: op.endTime }),
      selfLink: `${zoneLink(op.zone)}/operations/${op.name}`,
      ...(op.error && {
        error: { errors: [{ code: op.error.code, message: op.error.message }] },
        httpErrorStatusCode: op.error.code.includes('QUOTA') ? 403 : 503,
        httpErrorMessage: op.error.code.includes('QUOTA') ? 'FORBIDDEN' : 'SERVICE UNAVAILABLE',
      }),
    };
  }

  function findVm(zone: string, name: string): VmRecord {
    const vm = vms.get(key(zone, name));
    if (!vm) throw notFound(`projects/${project}/zones/${zone}/instances/${name}`);
    return vm;
  }

  function parseInsert(zone: string, body: unknown): Omit<VmRecord, 'id' | 'home' | 'hostKey'> {
    const b = (body ?? {}) as Record<string, unknown>;
    const name = typeof b.name === 'string' ? b.name : '';
    if (!NAME.test(name)) {
      throw new GoogleError(
        400,
        `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`,
        'invalid',
      );
    }
    const machineLink = typeof b.machineType === 'string' ? b.machineType : '';
    const machineType = machineLink.split('/').pop() ?? '';
    if (!KNOWN_MACHINE.test(machineType)) {
      throw new GoogleError(
        400,
        `Invalid value for field 'resource.machineType': '${machineLink}'. Machine type with name '${machineType}' does not exist in zone '${zone}'.`,
        'invalid',
      );
    }
    const disks = Array.isArray(b.disks) ? (b.disks as Array<Record<string, unknown>>) : [];
    const bootDisk = disks.find((d) => d.boot === true);
    const params = (bootDisk?.initializeParams ?? {}) as Record<string, unknown>;
    if (!bootDisk || typeof params.sourceImage !== 'string') {
      throw new GoogleError(
        400,
        "Invalid value for field 'resource.disks': ''. Boot disk must be specified.",
        'invalid',
      );
    }
    const nics = Array.isArray(b.networkInterfaces) ? b.networkInterfaces : [];
    if (nics.length === 0) {
      throw new GoogleError(
        400,
        "Invalid value for field 'resource.networkInterfaces': ''. At least one network interface is required.",
        'invalid',
      );
    }
    const metadata = (b.metadata ?? {}) as { items?: Array<{ key: string; value: string }> };
    const labels = (b.labels ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(labels)) {
      if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(String(v))) {
        throw new GoogleError(
          400,
          `Invalid value for field 'resource.labels': '${k}'. Label keys and values may contain lowercase letters, digits, '-' and '_'.`,
          'invalid',
        );
      }
    }
    return {
      name,
      zone,
      machineType,
      status: 'PROVISIONING',
      labels,
      metadataItems: metadata.items ?? [],
      scheduling: (b.scheduling ?? {}) as Record<string, unknown>,
      diskGb: String(params.diskSizeGb ?? '10'),
      networkIp: `10.128.0.${nextNetworkIp++}`,
      natIp: undefined,
      created: new Date().toISOString(),
      ssh: undefined,
      lastStart: undefined,
      lastStop: undefined,
    };
  }

  function matchesFilter(vm: VmRecord, filter: string | undefined): boolean {
    if (!filter) return true;
    return filter
      .split(/\s+AND\s+/i)
      .map((term) => term.trim().replace(/^\(|\)$/g, ''))
      .every((term) => {
        const label = /^labels\.([a-z0-9_-]+)\s*=\s*"?([^"]*)"?$/.exec(term);
        if (label) return vm.labels[label[1]!] === label[2];
        const name = /^name\s*=\s*"?([^"]*)"?$/.exec(term);
        if (name) return vm.name === name[1];
        const status = /^status\s*=\s*"?([^"]*)"?$/.exec(term);
        if (status) return vm.status === status[1];
        throw new GoogleError(
          400,
          `Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`,
          'invalid',
        );
      });
  }

  const app = Fastify({ logger: false });
  // Google's clients send `Content-Type: application/json` with an empty body on POSTs like wait.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new GoogleError(400, 'Invalid JSON payload received.', 'parseError'), undefined);
    }
  });
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof GoogleError) return sendError(reply, err.status, err.message, err.reason, err.domain);
    return sendError(reply, 500, err instanceof Error ? err.message : String(err), 'backendError');
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `The requested URL ${request.url} was not found on this server.`, 'notFound'),
  );
  app.addHook('onRequest', async (request) => {
    calls.push({
      method: request.method,
      path: request.url,
      authorization: request.headers.authorization,
      body: undefined,
    });
    const header = request.headers.authorization;
    if (!header) {
      throw new GoogleError(
        401,
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        'required',
      );
    }
    if (header !== `Bearer ${token}`) {
      throw new GoogleError(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        'authError',
      );
    }
  });
  app.addHook('preHandler', async (request) => {
    const call = calls.at(-1);
    if (call) call.body = request.body;
    const params = request.params as { project?: string; zone?: string };
    if (params.project !== undefined && params.project !== project) {
      throw notFound(`projects/${params.project}`);
    }
    if (params.zone !== undefined && !zones.includes(params.zone)) {
      throw new GoogleError(
        400,
        `Invalid value for field 'zone': '${params.zone}'. Unknown zone.`,
        'invalid',
      );
    }
  });

  type P = { project: string; zone: string; name: string; op: string };
  const prefix = '/compute/v1/projects/:project/zones/:zone';
  const faultOr = (method: ComputeMethod) => {
    const fault = takeFault(method);
    if (fault) throw new GoogleError(fault.status, fault.message, fault.reason ?? 'backendError');
  };

  app.post(`${prefix}/instances`, async (request: FastifyRequest) => {
    faultOr('insert');
    const { zone } = request.params as P;
    const parsed = parseInsert(zone, request.body);
    if (vms.has(key(zone, parsed.name))) {
      throw new GoogleError(
        409,
        `The resource 'projects/${project}/zones/${zone}/instances/${parsed.name}' already exists`,
        'alreadyExists',
      );
    }
    const home = path.join(root, parsed.name);
    await mkdir(home, { recursive: true });
    const vm: VmRecord = { ...parsed, id: numericId(), home, hostKey: generateValidPair().private };
    vms.set(key(zone, vm.name), vm);
    return opJson(operate(vm, 'insert', () => boot(vm)));
  });

  app.get(`${prefix}/instances`, async (request: FastifyRequest) => {
    faultOr('list');
    const { zone } = request.params as P;
    const query = request.query as { filter?: string; maxResults?: string; pageToken?: string };
    const all = [...vms.values()].filter((vm) => vm.zone === zone && matchesFilter(vm, query.filter));
    const start = Number(query.pageToken ?? 0) || 0;
    const size = Math.min(Number(query.maxResults ?? 500) || 500, 500);
    const page = all.slice(start, start + size);
    return {
      kind: 'compute#instanceList',
      id: `projects/${project}/zones/${zone}/instances`,
      items: page.map(vmJson),
      selfLink: `${zoneLink(zone)}/instances`,
      ...(start + size < all.length && { nextPageToken: String(start + size) }),
    };
  });

  app.get(`${prefix}/instances/:name`, async (request: FastifyRequest) => {
    faultOr('get');
    const { zone, name } = request.params as P;
    return vmJson(findVm(zone, name));
  });

  app.delete(`${prefix}/instances/:name`, async (request: FastifyRequest) => {
    faultOr('delete');
    const { zone, name } = request.params as P;
    const vm = findVm(zone, name);
    return opJson(
      operate(vm, 'delete', async () => {
        await halt(vm);
        vms.delete(key(zone, name));
        await rm(vm.home, { recursive: true, force: true });
      }),
    );
  });

  app.post(`${prefix}/instances/:name/start`, async (request: FastifyRequest) => {
    faultOr('start');
    const { zone, name } = request.params as P;
    const vm = findVm(zone, name);
    return opJson(
      operate(vm, 'start', async () => {
        if (vm.status === 'RUNNING') return;
        await boot(vm);
      }),
    );
  });

  app.post(`${prefix}/instances/:name/stop`, async (request: FastifyRequest) => {
    faultOr('stop');
    const { zone, name } = request.params as P;
    const vm = findVm(zone, name);
    return opJson(
      operate(vm, 'stop', async () => {
        if (vm.status === 'TERMINATED') return;
        await halt(vm);
      }),
    );
  });

  const findOp = (zone: string, name: string): OperationRecord => {
    const op = operations.get(name);
    if (!op || op.zone !== zone) throw notFound(`projects/${project}/zones/${zone}/operations/${name}`);
    return op;
  };

  app.get(`${prefix}/operations/:op`, async (request: FastifyRequest) => {
    const { zone, op } = request.params as P;
    return opJson(findOp(zone, op));
  });

  app.post(`${prefix}/operations/:op/wait`, async (request: FastifyRequest) => {
    faultOr('wait');
    const { zone, op: name } = request.params as P;
    const op = findOp(zone, name);
    if (op.status !== 'DONE') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitCapMs);
        function done() {
          clearTimeout(timer);
          op.waiters.delete(done);
          resolve();
        }
        op.waiters.add(done);
      });
    }
    return opJson(op);
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('stand-in has no port');

  const view = (vm: VmRecord): StandInVm => ({
    name: vm.name,
    status: vm.status,
    natIp: vm.natIp,
    machineType: vm.machineType,
    labels: { ...vm.labels },
    spot: vm.scheduling.provisioningModel === 'SPOT',
    home: vm.home,
    sshKeys: vm.metadataItems.find((i) => i.key === 'ssh-keys')?.value ?? '',
  });

  return {
    url: `http://127.0.0.1:${address.port}`,
    project,
    zone: zones[0]!,
    sshPort,
    env: {
      GPUOPS_GCP_PROJECT: project,
      GPUOPS_GCP_API_ENDPOINT: `http://127.0.0.1:${address.port}`,
      GPUOPS_GCP_SSH_PORT: String(sshPort),
    },
    calls,
    vms: () => [...vms.values()].map(view),
    vm: (name) => {
      const vm = [...vms.values()].find((v) => v.name === name);
      return vm && view(vm);
    },
    failNext(method, fault) {
      httpFaults.set(method, [...(httpFaults.get(method) ?? []), fault]);
    },
    failNextOperation(type, fault) {
      opFaults.set(type, [...(opFaults.get(type) ?? []), fault]);
    },
    async preempt(name) {
      const vm = [...vms.values()].find((v) => v.name === name);
      if (!vm) throw new Error(`no VM ${name}`);
      await halt(vm);
    },
    setBootMs(ms) {
      bootMs = ms;
    },
    async close() {
      closed = true;
      for (const op of operations.values()) for (const wake of op.waiters) wake();
      await Promise.allSettled([...pending]);
      await Promise.allSettled([...vms.values()].map((vm) => stopSsh(vm)));
      app.server.closeAllConnections();
      await app.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
