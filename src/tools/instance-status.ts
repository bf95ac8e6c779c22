import { settleIdleInstance } from '../../db/repositories/instances.ts';
import { describeInFlight, findInFlightOperation } from '../../db/repositories/operations.ts';
import { getStandby } from '../../db/repositories/standbys.ts';
import type { ProviderInstance } from '../cloud/provider.ts';
import { sshCommand } from '../cloud/ssh/ssh-command.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { agreesWithProvider, type ProviderView } from '../domain/instance-states.ts';
import { formatElapsed, formatPrice } from '../format/text.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { instanceStatusSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const instanceStatusTool = defineTool({
  name: 'instance_status',
  description: 'Show one instance: its state, GPU, price, uptime, cost so far and SSH command.',
  schema: instanceStatusSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    let row = await loadOwnedInstance(services.db, args.instance, ctx);
    let providerStatus = row.provider_status;
    let machine: ProviderInstance | null = null;
    if (row.provider_instance_id && row.state !== 'destroyed') {
      const since = new Date();
      machine = await services.provider.getInstance(row.provider_instance_id);
      providerStatus = machine ? machine.status : 'gone';
      // Having heard, a record left moving by an operation that has ended is settled here.
      ({ row } = await settleIdleInstance(
        services.db,
        row,
        { machine, since },
        { scope: 'moving', heardFrom: 'instance_status' },
      ));
    }
    // Where the provider says the machine is now, even while an operation owns the record.
    const sshHost = machine?.sshHost ?? row.ssh_host;
    const sshPort = machine?.sshPort ?? row.ssh_port;
    const ref = instanceRef(row.id);
    const busy = await findInFlightOperation(services.db, row.id);
    const standby = await getStandby(services.db, row.id);
    const disagrees =
      providerStatus !== null &&
      row.state !== 'destroyed' &&
      !agreesWithProvider(row.state, providerStatus as ProviderView);
    const uptimeMs =
      row.running_since && row.state === 'running' ? Date.now() - row.running_since.getTime() : 0;
    const costSoFar = (uptimeMs / 3_600_000) * row.price_per_hour;
    // On its CPU standby it is reached as the VM's login, with the workspace in its home.
    const ssh =
      sshHost && sshPort && (row.state === 'running' || row.state === 'on_standby')
        ? sshCommand(sshHost, sshPort, row.state === 'on_standby' ? 'gpuops' : 'root')
        : null;
    const lines = [
      `${ref}: ${row.gpu_count}x ${row.gpu_name}, ${row.state}${providerStatus && providerStatus !== row.state ? ` (provider says ${providerStatus})` : ''}${disagrees ? ' ⚠' : ''}`,
      busy ? `now: ${describeInFlight(busy).replace(/^it is /, '')}` : '',
      disagrees && !busy
        ? `gpuops's record and the provider disagree; the next reconciler pass makes the record follow the provider. Say "destroy ${ref}" to stop any billing.`
        : '',
      `price ${formatPrice(row.price_per_hour)} · ${row.location ?? 'unknown location'} · image ${row.image} · disk ${row.disk_gb} GB`,
      row.state === 'running'
        ? `running for ${Math.round(uptimeMs / 60_000)} min, about $${costSoFar.toFixed(2)} so far`
        : '',
      ssh ? `ssh: ${ssh}` : '',
      row.state === 'hibernated' && row.hibernated_at
        ? `hibernated ${formatElapsed(Date.now() - row.hibernated_at.getTime())} ago: no machine, nothing bills but its snapshot; say "resume ${ref}" to wake it on the best matching offer`
        : '',
      row.state === 'stopped' && row.hibernate_after_ms !== null && row.stopped_at
        ? `paused ${formatElapsed(Date.now() - row.stopped_at.getTime())} ago; hibernates after ${formatElapsed(Number(row.hibernate_after_ms))} paused`
        : '',
      row.state === 'on_standby'
        ? `running on its CPU standby (${row.location ?? 'GCP'}, workspace in ~/workspace) since ${row.running_since?.toISOString().slice(0, 16).replace('T', ' ') ?? '?'} UTC, as no GPU could be had; gpuops moves it back when one fits, "failback ${ref}" tries now`
        : '',
      standby && standby.state !== 'off'
        ? `CPU standby: VM ${standby.vm_name} (${standby.machine_type}${standby.spot ? ', spot' : ''}, ${standby.zone}), ${standby.state === 'serving' ? `${ref} runs on it` : standby.state}${standby.synced_snapshot_id !== null ? `, holding snap-${standby.synced_snapshot_id}` : ''}`
        : '',
      row.auto_failover ? 'auto-failover on: if its machine is lost, gpuops moves it to a new one' : '',
      `deployed by ${row.owner} on ${row.created_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    ].filter(Boolean);
    return {
      text: lines.join('\n'),
      data: {
        instance: ref,
        state: row.state,
        provider_status: providerStatus,
        ...(busy && { operation: { id: busy.id, kind: busy.kind, state: busy.state, step: busy.step } }),
        gpu: row.gpu_name,
        gpu_count: row.gpu_count,
        price_per_hour: row.price_per_hour,
        location: row.location,
        ssh,
        cost_so_far: Number(costSoFar.toFixed(4)),
      },
    };
  },
});
