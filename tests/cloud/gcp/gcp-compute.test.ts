import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcpCompute, type GcpComputeOptions, type VmSpec } from '../../../src/cloud/gcp/gcp-compute.ts';
import { sshExec } from '../../../src/cloud/ssh/ssh-client.ts';
import { generateValidPair } from '../../../src/cloud/ssh/ssh-keys.ts';
import { ErrorCode, GpuopsError } from '../../../src/errors.ts';
import { type ComputeStandIn, startComputeStandIn } from '../../support/gcp/compute-stand-in.ts';

describe('GCP Compute against the local stand-in', () => {
  let gcp: ComputeStandIn;
  let compute: GcpCompute;
  const key = generateValidPair();
  const opened: GcpCompute[] = [];

  const options = (over: Partial<GcpComputeOptions> = {}): GcpComputeOptions => ({
    project: gcp.project,
    zone: gcp.zone,
    apiEndpoint: gcp.url,
    timeoutMs: 5_000,
    operationTimeoutMs: 20_000,
    ...over,
  });
  const client = async (over: Partial<GcpComputeOptions> = {}) => {
    const made = await GcpCompute.open(options(over));
    opened.push(made);
    return made;
  };
  const spec = (name: string, over: Partial<VmSpec> = {}): VmSpec => ({
    name,
    machineType: 'e2-standard-4',
    spot: true,
    image: 'projects/debian-cloud/global/images/family/debian-12',
    diskGb: 20,
    sshUser: 'gpuops',
    sshPublicKey: key.public,
    labels: { 'managed-by': 'gpuops', 'gpuops-instance': 'i-3' },
    ...over,
  });
  const caught = async (promise: Promise<unknown>): Promise<GpuopsError> => {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(GpuopsError);
      return err as GpuopsError;
    }
    throw new Error('expected an error');
  };

  beforeAll(async () => {
    gcp = await startComputeStandIn();
    compute = await client();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await gcp?.close();
  });

  it('creates a VM that runs, answers SSH with gpuops key at its natIP, stops, starts and is deleted', async () => {
    const vm = await compute.createVm(spec('gpuops-test-standby-3'));
    expect(vm).toMatchObject({ status: 'RUNNING', machineType: 'e2-standard-4', spot: true });
    expect(vm.natIp).toMatch(/^127\.0\.0\.\d+$/);
    expect(vm.labels).toEqual({ 'managed-by': 'gpuops', 'gpuops-instance': 'i-3' });
    // The request went out as Google's client sends it, with the token of a local endpoint.
    const insert = gcp.calls.find((c) => c.method === 'POST' && c.path.endsWith('/instances?'));
    expect(insert).toMatchObject({
      path: `/compute/v1/projects/${gcp.project}/zones/${gcp.zone}/instances?`,
      authorization: 'Bearer fake',
    });
    expect(gcp.vm(vm.name)!.sshKeys).toBe(`gpuops:${key.public.trim()}`);

    const target = { host: vm.natIp!, port: gcp.sshPort, username: 'gpuops', privateKey: key.private };
    const hello = await sshExec(target, 'echo hello > note.txt && cat note.txt && echo "$USER"');
    expect(hello).toMatchObject({ code: 0, stdout: 'hello\ngpuops\n' });
    // Another key is refused.
    const stranger = generateValidPair();
    await expect(sshExec({ ...target, privateKey: stranger.private }, 'true', 5_000)).rejects.toThrow(
      /authentication/i,
    );

    // Creating it again (a retried job) returns the same VM.
    expect((await compute.createVm(spec(vm.name))).natIp).toBe(vm.natIp);
    expect(await compute.listVms({ 'gpuops-instance': 'i-3' })).toHaveLength(1);
    expect(await compute.listVms({ 'gpuops-instance': 'i-4' })).toHaveLength(0);

    const stopped = await compute.stopVm(vm.name);
    expect(stopped).toMatchObject({ status: 'TERMINATED', natIp: undefined });
    const started = await compute.startVm(vm.name);
    expect(started.status).toBe('RUNNING');
    // The disk survived the stop; the ephemeral address may differ.
    const again = await sshExec({ ...target, host: started.natIp! }, 'cat note.txt');
    expect(again.stdout).toBe('hello\n');

    expect(await compute.deleteVm(vm.name)).toBe(true);
    expect(await compute.getVm(vm.name)).toBeUndefined();
    expect(gcp.vm(vm.name)).toBeUndefined();
    // Deleting what is gone already is not an error.
    expect(await compute.deleteVm(vm.name)).toBe(false);
  }, 60_000);

  it('says a quota refusal is a quota, and what to do about it', async () => {
    gcp.failNext('insert', {
      status: 403,
      message: "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1.",
      reason: 'quotaExceeded',
    });
    const err = await caught(compute.createVm(spec('gpuops-quota')));
    expect(err.code).toBe(ErrorCode.QuotaExceeded);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("Quota 'CPUS' exceeded");
    expect(err.message).toContain('GPUOPS_GCP_MACHINE_TYPE');
    expect(gcp.vm('gpuops-quota')).toBeUndefined();
  });

  it('reports a zone out of capacity as retryable, and leaves no VM behind', async () => {
    gcp.failNextOperation('insert', {
      code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
      message: `The zone 'projects/${gcp.project}/zones/${gcp.zone}' does not have enough resources available to fulfill the request.`,
    });
    const err = await caught(compute.createVm(spec('gpuops-no-room')));
    expect(err.code).toBe(ErrorCode.CapacityUnavailable);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('GPUOPS_GCP_ZONE');
    expect(gcp.vm('gpuops-no-room')).toBeUndefined();
  });

  it('retries a read that met a 503, and gives up on a token GCP refuses', async () => {
    gcp.failNext('get', { status: 503, message: 'Backend Error', reason: 'backendError' });
    expect(await compute.getVm('no-such-vm')).toBeUndefined();

    const strict = await startComputeStandIn({ accessToken: 'only-this-one' });
    try {
      const refused = await client({ apiEndpoint: strict.url, project: strict.project });
      const err = await caught(refused.listVms());
      expect(err.code).toBe(ErrorCode.ProviderAuth);
      expect(err.message).toContain('GOOGLE_APPLICATION_CREDENTIALS');
    } finally {
      await strict.close();
    }
  });

  it('names the setting to fix for an unknown project or zone, and a machine type GCP lacks', async () => {
    const project = await caught((await client({ project: 'someone-elses' })).listVms());
    expect(project.code).toBe(ErrorCode.ProviderRejected);
    expect(project.message).toContain('GPUOPS_GCP_PROJECT (someone-elses)');
    const zone = await caught((await client({ zone: 'mars-north1-a' })).listVms());
    expect(zone.message).toContain('GPUOPS_GCP_ZONE (mars-north1-a)');
    const type = await caught(compute.createVm(spec('gpuops-bad-type', { machineType: 'e9-giant-4' })));
    expect(type.message).toContain('GPUOPS_GCP_MACHINE_TYPE');
  });

  it('stops waiting for an operation at its deadline, with a timeout a retry may fix', async () => {
    gcp.setBootMs(1_500);
    try {
      const impatient = await client({ operationTimeoutMs: 300 });
      const err = await caught(impatient.createVm(spec('gpuops-slow')));
      expect(err.code).toBe(ErrorCode.Timeout);
      expect(err.retryable).toBe(true);
    } finally {
      gcp.setBootMs(30);
    }
    // The VM it asked for still comes up; deleting it is how a failed create cleans up.
    await compute.deleteVm('gpuops-slow');
    expect(gcp.vm('gpuops-slow')).toBeUndefined();
  }, 30_000);
});
