import { readFile } from 'node:fs/promises';
import { InstancesClient, type protos, ZoneOperationsClient } from '@google-cloud/compute';
import { GoogleAuth, JWT, OAuth2Client, UserRefreshClient } from 'google-auth-library';
import pRetry from 'p-retry';
import pTimeout from 'p-timeout';
import type { Logger } from 'pino';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { rememberSecrets } from '../../redact.ts';
import { type GcpPlace, gcpError, operationError } from './gcp-error.ts';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Operation = protos.google.cloud.compute.v1.IOperation;

export interface GcpComputeOptions {
  project: string;
  zone: string;
  /**
   * The Compute API base, e.g. http://127.0.0.1:8123 for a local stand-in. Set, requests carry a
   * fixed test token (`Bearer fake`) instead of real credentials. Default: Google's endpoint.
   */
  apiEndpoint?: string | undefined;
  /** A service-account key file; unset: Application Default Credentials. */
  credentialsFile?: string | undefined;
  /** Deadline of one HTTP request. */
  timeoutMs: number;
  /** How long one create, start, stop or delete may take, waiting included. */
  operationTimeoutMs: number;
  /** Retries of reads (get, list, operation waits) on 429, 5xx and timeouts. Default 3. */
  retries?: number;
  logger?: Logger;
}

/** GCP's instance status: PROVISIONING, STAGING, RUNNING, STOPPING, SUSPENDED, TERMINATED, ... */
export type GcpVmStatus = string;

/** A VM as gpuops reads it. */
export interface GcpVm {
  name: string;
  zone: string;
  status: GcpVmStatus;
  /** The external address while it runs (an ephemeral one changes across stop and start). */
  natIp: string | undefined;
  machineType: string;
  spot: boolean;
  labels: Record<string, string>;
}

/** What a VM is made from. */
export interface VmSpec {
  name: string;
  machineType: string;
  spot: boolean;
  /** e.g. projects/debian-cloud/global/images/family/debian-12 */
  image: string;
  diskGb: number;
  /** The login the key is for; GCP's guest agent makes the account (with sudo). */
  sshUser: string;
  /** OpenSSH public key, "ssh-ed25519 AAAA... comment". */
  sshPublicKey: string;
  labels: Record<string, string>;
}

/** The fixed token local stand-ins accept (see REFERENCE.md, "GCP Compute"). */
export const STAND_IN_ACCESS_TOKEN = 'fake';

const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';
/** A server-side wait answers within two minutes even when the operation is not done. */
const SERVER_WAIT_MS = 120_000;

/**
 * Compute Engine VMs in one project and zone, through @google-cloud/compute's InstancesClient and
 * ZoneOperationsClient over REST. Every mutation waits for its zone operation (with a deadline) and
 * reports an operation that ended in error as a GpuopsError; reads are retried with backoff on
 * what a retry can fix. Creating a VM that exists already, or deleting one that is gone, is not
 * an error: jobs that run again must not fail on their own earlier work.
 */
export class GcpCompute {
  private readonly instances: InstancesClient;
  private readonly operations: ZoneOperationsClient;
  private readonly place: GcpPlace;

  private constructor(
    private readonly options: GcpComputeOptions,
    private readonly auth: GcpAuth,
  ) {
    this.place = { project: options.project, zone: options.zone };
    const clientOptions = clientOptionsFor(options, auth);
    this.instances = new InstancesClient(clientOptions);
    this.operations = new ZoneOperationsClient(clientOptions);
  }

  /**
   * Loads the credentials (a key file's type is checked before it is used, as Google advises for
   * credentials from outside) and makes the clients. Throws NotConfigured when they cannot load.
   */
  static async open(options: GcpComputeOptions): Promise<GcpCompute> {
    const place = { project: options.project, zone: options.zone };
    try {
      return new GcpCompute(options, await loadAuth(options));
    } catch (err) {
      throw gcpError(err, 'Loading GCP credentials', place);
    }
  }

  get project(): string {
    return this.options.project;
  }

  get zone(): string {
    return this.options.zone;
  }

  /**
   * Checks that credentials load and yield an access token (no request to Compute). Against a
   * local endpoint the token is the stand-in's, and this always passes.
   */
  async verifyCredentials(): Promise<string> {
    if (this.options.apiEndpoint) return 'a fixed test token (GPUOPS_GCP_API_ENDPOINT is a local stand-in)';
    try {
      const token: unknown = await pTimeout<unknown>(this.auth.client.getAccessToken(), {
        milliseconds: this.options.timeoutMs,
        message: `getting an access token timed out after ${this.options.timeoutMs} ms`,
      });
      const value = typeof token === 'string' ? token : (token as { token?: string } | null)?.token;
      if (!value) throw new Error('no access token came back');
      return this.auth.who;
    } catch (err) {
      throw gcpError(err, 'Getting a GCP access token', this.place);
    }
  }

  /**
   * Creates the VM and waits until it runs. One that exists already (a retried create) is waited
   * for, or started if it was stopped meanwhile.
   */
  async createVm(spec: VmSpec): Promise<GcpVm> {
    const what = `Creating VM ${spec.name}`;
    const place = { ...this.place, machineType: spec.machineType };
    const existing = await this.getVm(spec.name);
    if (existing?.status === 'TERMINATED') return this.startVm(spec.name);
    if (!existing) {
      let operation: Operation | undefined;
      try {
        const [lro] = await this.instances.insert(
          { project: this.options.project, zone: this.options.zone, instanceResource: this.resourceOf(spec) },
          this.callOptions(),
        );
        operation = lro.latestResponse as Operation;
      } catch (err) {
        // A create retried after its answer was lost finds its own VM: that is success.
        if ((err as { httpStatusCode?: number }).httpStatusCode !== 409) throw gcpError(err, what, place);
      }
      if (operation) await this.waitFor(operation, what, place);
    }
    return this.waitForStatus(spec.name, 'RUNNING', what);
  }

  /** The VM, or undefined when GCP has no VM of that name in the zone. */
  async getVm(name: string): Promise<GcpVm | undefined> {
    return this.read(`Looking up VM ${name}`, async () => {
      try {
        const [instance] = await this.instances.get(
          { project: this.options.project, zone: this.options.zone, instance: name },
          this.callOptions(),
        );
        return toVm(instance);
      } catch (err) {
        if (isNotFoundOf(err, name)) return undefined;
        throw err;
      }
    });
  }

  /** VMs in the zone, optionally only those carrying every one of `labels`. */
  async listVms(labels: Record<string, string> = {}, maxResults = 500): Promise<GcpVm[]> {
    const filter = Object.entries(labels)
      .map(([k, v]) => `labels.${k}=${v}`)
      .join(' AND ');
    return this.read('Listing VMs', async () => {
      const [items] = await this.instances.list(
        {
          project: this.options.project,
          zone: this.options.zone,
          maxResults,
          ...(filter && { filter }),
        },
        { ...this.callOptions(), autoPaginate: false },
      );
      return items.map(toVm);
    });
  }

  /** Starts a stopped VM (a spot VM GCP stopped, one stopped on purpose) and waits until it runs. */
  async startVm(name: string): Promise<GcpVm> {
    const what = `Starting VM ${name}`;
    await this.mutate(what, () =>
      this.instances.start(
        { project: this.options.project, zone: this.options.zone, instance: name },
        this.callOptions(),
      ),
    );
    return this.waitForStatus(name, 'RUNNING', what);
  }

  /** Stops the VM and waits until it is TERMINATED (its disk stays and still bills). */
  async stopVm(name: string): Promise<GcpVm> {
    const what = `Stopping VM ${name}`;
    await this.mutate(what, () =>
      this.instances.stop(
        { project: this.options.project, zone: this.options.zone, instance: name },
        this.callOptions(),
      ),
    );
    return this.waitForStatus(name, 'TERMINATED', what);
  }

  /** Deletes the VM and its boot disk; false when it was gone already. */
  async deleteVm(name: string): Promise<boolean> {
    const what = `Deleting VM ${name}`;
    try {
      await this.mutate(what, () =>
        this.instances.delete(
          { project: this.options.project, zone: this.options.zone, instance: name },
          this.callOptions(),
        ),
      );
    } catch (err) {
      if (err instanceof GpuopsError && isNotFoundOf(err.cause, name)) return false;
      throw err;
    }
    // The operation is done when the VM is gone; a lagging read must not say otherwise.
    const left = await this.getVm(name);
    if (left) {
      throw new GpuopsError(
        ErrorCode.ProviderUnavailable,
        `${what}: GCP said it was deleted, but still lists it (${left.status}).`,
        { retryable: true },
      );
    }
    return true;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.instances.close(), this.operations.close()]);
  }

  private resourceOf(spec: VmSpec): Instance {
    const zone = this.options.zone;
    return {
      name: spec.name,
      machineType: `zones/${zone}/machineTypes/${spec.machineType}`,
      labels: spec.labels,
      disks: [
        {
          boot: true,
          autoDelete: true,
          initializeParams: {
            sourceImage: spec.image,
            diskSizeGb: String(spec.diskGb),
            diskType: `zones/${zone}/diskTypes/pd-balanced`,
          },
        },
      ],
      networkInterfaces: [
        {
          network: 'global/networks/default',
          accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }],
        },
      ],
      metadata: { items: [{ key: 'ssh-keys', value: `${spec.sshUser}:${spec.sshPublicKey.trim()}` }] },
      scheduling: spec.spot
        ? {
            provisioningModel: 'SPOT',
            instanceTerminationAction: 'STOP',
            automaticRestart: false,
            onHostMaintenance: 'TERMINATE',
          }
        : { provisioningModel: 'STANDARD', automaticRestart: true, onHostMaintenance: 'MIGRATE' },
    };
  }

  /** Sends a mutation and waits for its operation to be DONE without errors. */
  private async mutate(what: string, send: () => Promise<[{ latestResponse: unknown }, ...unknown[]]>) {
    let operation: Operation;
    try {
      const [lro] = await send();
      operation = lro.latestResponse as Operation;
    } catch (err) {
      throw gcpError(err, what, this.place);
    }
    await this.waitFor(operation, what, this.place);
  }

  /** Waits on the zone operation (server-side waits, each within the deadline) until it is DONE. */
  private async waitFor(operation: Operation, what: string, place: GcpPlace): Promise<void> {
    const deadline = Date.now() + this.options.operationTimeoutMs;
    const late = () =>
      new GpuopsError(
        ErrorCode.Timeout,
        `${what}: GCP's operation ${operation.name} did not finish within ${Math.round(this.options.operationTimeoutMs / 1000)} s.`,
        { retryable: true },
      );
    let current = operation;
    while (current.status !== 'DONE') {
      if (Date.now() >= deadline) throw late();
      const name = current.name ?? '';
      try {
        current = await this.read(
          `${what} (waiting for ${name})`,
          async () => {
            const left = Math.max(1, deadline - Date.now());
            const [op] = await this.operations.wait(
              { project: this.options.project, zone: this.options.zone, operation: name },
              { timeout: Math.min(left, SERVER_WAIT_MS + this.options.timeoutMs), retry: null },
            );
            return op;
          },
          deadline,
        );
      } catch (err) {
        throw Date.now() >= deadline ? late() : err;
      }
    }
    const errors = current.error?.errors ?? [];
    if (errors.length > 0) throw operationError(errors, what, place);
  }

  /** Polls the VM until it has `status` (an operation can be DONE a moment before the VM shows it). */
  private async waitForStatus(name: string, status: GcpVmStatus, what: string): Promise<GcpVm> {
    const deadline = Date.now() + this.options.operationTimeoutMs;
    for (let pause = 200; ; pause = Math.min(pause * 2, 5_000)) {
      const vm = await this.getVm(name);
      if (!vm) {
        throw new GpuopsError(ErrorCode.ProviderRejected, `${what}: the VM is gone at GCP.`, {
          retryable: true,
        });
      }
      if (vm.status === status && (status !== 'RUNNING' || vm.natIp)) return vm;
      if (Date.now() + pause > deadline) {
        throw new GpuopsError(
          ErrorCode.Timeout,
          `${what}: the VM is ${vm.status}, not ${status}, after ${Math.round(this.options.operationTimeoutMs / 1000)} s.`,
          { retryable: true },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** A read, retried with backoff while the error says a retry can help. */
  private read<T>(what: string, call: () => Promise<T>, deadline?: number): Promise<T> {
    return pRetry(
      async () => {
        try {
          return await call();
        } catch (err) {
          throw gcpError(err, what, this.place);
        }
      },
      {
        retries: this.options.retries ?? 3,
        minTimeout: 300,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) =>
          error instanceof GpuopsError &&
          error.retryable &&
          (deadline === undefined || Date.now() < deadline),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0)
            this.options.logger?.debug({ err: error, attemptNumber, what }, 'GCP call failed; retrying');
        },
      },
    );
  }

  /** One request's deadline; google-gax's own retries are off (reads retry above, mutations never blindly). */
  private callOptions(): { timeout: number; retry: null } {
    return { timeout: this.options.timeoutMs, retry: null };
  }
}

/** The credentials gpuops calls GCP with, and who they are, for people. */
interface GcpAuth {
  client: OAuth2Client | GoogleAuth;
  who: string;
}

async function loadAuth(options: GcpComputeOptions): Promise<GcpAuth> {
  if (options.apiEndpoint) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: STAND_IN_ACCESS_TOKEN, expiry_date: Date.now() + 24 * 3_600_000 });
    return { client, who: 'the fixed test token of a local stand-in' };
  }
  if (!options.credentialsFile) {
    return { client: new GoogleAuth({ scopes: [COMPUTE_SCOPE] }), who: 'Application Default Credentials' };
  }
  const key = JSON.parse(await readFile(options.credentialsFile, 'utf8')) as Record<
    string,
    string | undefined
  >;
  // Google's errors can quote what they were sent; none of these may reach a log or a chat.
  rememberSecrets(key.private_key, key.private_key_id, key.client_secret, key.refresh_token);
  if (key.type === 'service_account') {
    if (!key.client_email || !key.private_key) {
      throw new Error(`${options.credentialsFile} lacks client_email or private_key`);
    }
    return {
      client: new JWT({
        email: key.client_email,
        key: key.private_key,
        ...(key.private_key_id && { keyId: key.private_key_id }),
        scopes: [COMPUTE_SCOPE],
      }),
      who: `service account ${key.client_email}`,
    };
  }
  if (key.type === 'authorized_user') {
    return {
      client: new UserRefreshClient({
        clientId: key.client_id,
        clientSecret: key.client_secret,
        refreshToken: key.refresh_token,
      }),
      who: 'the user credentials of "gcloud auth application-default login"',
    };
  }
  throw new Error(
    `${options.credentialsFile} is a "${key.type ?? 'unknown'}" credential; gpuops takes a service-account key or gcloud's user credentials`,
  );
}

function clientOptionsFor(
  options: GcpComputeOptions,
  auth: GcpAuth,
): ConstructorParameters<typeof InstancesClient>[0] {
  const authOptions = auth.client instanceof GoogleAuth ? { auth: auth.client } : { authClient: auth.client };
  if (options.apiEndpoint) {
    const url = new URL(options.apiEndpoint);
    // The port must be its own option: inside apiEndpoint it is ignored and 443 used.
    return {
      apiEndpoint: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol.replace(':', ''),
      projectId: options.project,
      ...authOptions,
    } as ConstructorParameters<typeof InstancesClient>[0];
  }
  return { projectId: options.project, ...authOptions } as ConstructorParameters<typeof InstancesClient>[0];
}

function toVm(instance: Instance): GcpVm {
  const nat = instance.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP ?? undefined;
  return {
    name: instance.name ?? '',
    zone: lastPart(instance.zone),
    status: String(instance.status ?? 'UNKNOWN'),
    natIp: nat || undefined,
    machineType: lastPart(instance.machineType),
    spot: instance.scheduling?.provisioningModel === 'SPOT' || instance.scheduling?.preemptible === true,
    labels: { ...(instance.labels ?? {}) },
  };
}

function lastPart(link: string | null | undefined): string {
  return (link ?? '').split('/').pop() ?? '';
}

/** A 404 about this VM itself (not about the project or zone, which is a configuration error). */
function isNotFoundOf(err: unknown, name: string): boolean {
  const e = err as { httpStatusCode?: number; message?: string } | undefined;
  return e?.httpStatusCode === 404 && (e.message ?? '').includes(`/instances/${name}`);
}
