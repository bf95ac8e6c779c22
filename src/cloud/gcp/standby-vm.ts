import type { GcpConfig } from '../../config.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import type { VmSpec } from './gcp-compute.ts';

/**
 * How gpuops names, labels and makes the CPU standby VM of an instance. The name is fixed by the
 * deployment and the instance, so a retried create finds the VM it made, and two gpuops
 * deployments sharing a GCP project never take each other's VMs.
 */

/** The login gpuops's key is put in the VM's `ssh-keys` metadata for. */
export const STANDBY_SSH_USER = 'gpuops';

export function standbyVmName(deploymentId: string, instanceId: number): string {
  const deployment = deploymentId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 8);
  return `gpuops-${deployment}-standby-${instanceId}`;
}

/** Marks the VM as gpuops's, of which deployment, and names the instance it backs. */
export function standbyLabels(deploymentId: string, instanceId: number): Record<string, string> {
  return {
    'managed-by': 'gpuops',
    'gpuops-deployment': deploymentId
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '')
      .slice(0, 63),
    'gpuops-instance': instanceRef(instanceId),
  };
}

export function standbyVmSpec(options: {
  gcp: GcpConfig;
  deploymentId: string;
  instanceId: number;
  machineType: string;
  spot: boolean;
  sshPublicKey: string;
}): VmSpec {
  return {
    name: standbyVmName(options.deploymentId, options.instanceId),
    machineType: options.machineType,
    spot: options.spot,
    image: options.gcp.image,
    diskGb: options.gcp.diskGb,
    sshUser: STANDBY_SSH_USER,
    sshPublicKey: options.sshPublicKey,
    labels: standbyLabels(options.deploymentId, options.instanceId),
  };
}

/** The answer to a standby request when GCP is not set up: which settings to set. */
export function gcpNotConfigured(): GpuopsError {
  return new GpuopsError(
    ErrorCode.NotConfigured,
    'CPU standby runs on Google Compute Engine, which is not set up here. Set GPUOPS_GCP_PROJECT to your project id and GOOGLE_APPLICATION_CREDENTIALS to a service-account key file (Compute Instance Admin role); GPUOPS_GCP_ZONE, GPUOPS_GCP_MACHINE_TYPE and GPUOPS_GCP_SPOT are optional (us-central1-a, e2-standard-4, off). Then restart gpuops; "gpuops doctor" checks the settings.',
  );
}
