import type { Logger } from 'pino';
import type { GcpCompute } from '../../cloud/gcp/gcp-compute.ts';
import { gcpNotConfigured } from '../../cloud/gcp/standby-vm.ts';
import type { GcpConfig } from '../../config.ts';
import type { StandbyServices, WorkerServices } from '../queue/job-context.ts';

/** The worker's GCP services for standbys; throws what to configure when GCP is not set up. */
export function standbyServicesOf(services: Pick<WorkerServices, 'standby'>): StandbyServices {
  if (!services.standby) throw gcpNotConfigured();
  return services.standby;
}

/**
 * The Compute clients of a worker process, one per zone, each made on first use (the client
 * library is loaded only then, so processes that never touch a standby do not pay its start-up).
 */
export function gcpStandbyServices(
  gcp: GcpConfig,
  logger: Logger,
): { services: StandbyServices; close(): Promise<void> } {
  const clients = new Map<string, Promise<GcpCompute>>();
  return {
    services: {
      gcp,
      compute(zone = gcp.zone) {
        let client = clients.get(zone);
        if (!client) {
          client = import('../../cloud/gcp/gcp-compute.ts').then(({ GcpCompute }) =>
            GcpCompute.open({
              project: gcp.project,
              zone,
              apiEndpoint: gcp.apiEndpoint,
              credentialsFile: gcp.credentialsFile,
              timeoutMs: gcp.timeoutMs,
              operationTimeoutMs: gcp.operationTimeoutMs,
              logger,
            }),
          );
          clients.set(zone, client);
        }
        return client;
      },
    },
    async close() {
      const made = await Promise.allSettled(clients.values());
      await Promise.allSettled(made.map((m) => (m.status === 'fulfilled' ? m.value.close() : undefined)));
    },
  };
}
