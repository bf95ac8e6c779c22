import { listInstances, settleIdleInstance } from '../../db/repositories/instances.ts';
import { IN_FLIGHT, listOperations } from '../../db/repositories/operations.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import type { InstanceState } from '../domain/instance-states.ts';
import { agreesWithProvider, billsGpus, LIVE_STATES, type ProviderView } from '../domain/instance-states.ts';
import { formatPrice, renderTable } from '../format/text.ts';
import { listInstancesSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const listInstancesTool = defineTool({
  name: 'list_instances',
  description: "List this channel's GPU instances with their state and price.",
  schema: listInstancesSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const which = args.state ?? 'active';
    const states: InstanceState[] | undefined =
      which === 'all'
        ? undefined
        : which === 'active'
          ? [...LIVE_STATES, 'hibernated', 'on_standby']
          : [which];
    const rows = await listInstances(services.db, { channel: ctx.channel, ...(states && { states }) });
    // Deploys that have not rented yet have no instance to list, but they are on their way.
    const pending = (await listOperations(services.db, { channel: ctx.channel, states: IN_FLIGHT })).filter(
      (op) => op.kind === 'deploy' && op.instance_id === null,
    );
    const pendingNote =
      pending.length > 0
        ? `\n${pending.length} deploy${pending.length === 1 ? '' : 's'} under way, not rented yet: ${pending.map((op) => `${op.id} (${op.state === 'queued' ? 'queued' : (op.step ?? 'running')})`).join(', ')}.`
        : '';
    if (rows.length === 0) {
      return {
        text:
          pending.length > 0
            ? pendingNote.trim()
            : `No ${which === 'all' ? '' : `${which} `}instances in this channel. Say "deploy a 4090 under $0.50/hr" to rent one.`,
        data: { instances: [], deploys_under_way: pending.map((op) => op.id) },
      };
    }
    // What the provider says now, in one call: a host can die or an instance vanish long after
    // gpuops last looked. The list still answers (from the database) when the provider does not.
    // Having heard, a record left moving by an operation that has ended is settled here.
    const live = new Map<string, ProviderView>();
    let liveNote = '';
    const rented = rows.filter((r) => r.provider_instance_id && r.state !== 'destroyed');
    if (rented.length > 0) {
      try {
        const since = new Date();
        const machines = new Map((await services.provider.listInstances()).map((m) => [m.id, m]));
        for (const [i, r] of rows.entries()) {
          if (!rented.includes(r)) continue;
          const machine = machines.get(r.provider_instance_id!) ?? null;
          const settled = await settleIdleInstance(
            services.db,
            r,
            { machine, since },
            { scope: 'moving', heardFrom: 'list_instances' },
          );
          rows[i] = settled.row;
          live.set(r.provider_instance_id!, machine?.status ?? 'gone');
        }
      } catch (err) {
        live.clear();
        liveNote = `\n(Live status unavailable: ${err instanceof Error ? err.message : String(err)})`;
      }
    }
    const viewOf = (r: (typeof rows)[number]) =>
      r.provider_instance_id ? live.get(r.provider_instance_id) : undefined;
    const drift = (r: (typeof rows)[number]) => {
      const status = viewOf(r);
      return status !== undefined && !agreesWithProvider(r.state, status) ? status : undefined;
    };
    // What bills is what the provider runs, whatever the records say.
    const billing = rows.filter((r) => r.state !== 'destroyed' && billsGpus(r.state, viewOf(r)));
    const burn = billing.reduce((sum, r) => sum + r.price_per_hour, 0);
    const table = renderTable(
      ['id', 'gpu', 'state', 'price', 'where', 'owner'],
      rows.map((r) => [
        instanceRef(r.id),
        `${r.gpu_count}x ${r.gpu_name}`,
        drift(r) ? `${r.state} ⚠ provider: ${drift(r)}` : r.state,
        formatPrice(r.price_per_hour),
        r.location ?? '',
        r.owner,
      ]),
    );
    const drifted = rows.filter((r) => drift(r));
    const advice =
      drifted.length > 0
        ? `\n${drifted.map((r) => instanceRef(r.id)).join(', ')}: the provider no longer reports ${drifted.length === 1 ? 'it' : 'them'} as gpuops expects; say "status of ${instanceRef(drifted[0]!.id)}" for details or "destroy ${instanceRef(drifted[0]!.id)}" to stop any billing.`
        : '';
    const text = `${rows.length} instance${rows.length === 1 ? '' : 's'}, ${billing.length} billing at ${formatPrice(burn)} in all:\n\`\`\`\n${table}\n\`\`\`${advice}${pendingNote}${liveNote}`;
    return {
      text,
      data: {
        instances: rows.map((r) => ({
          instance: instanceRef(r.id),
          gpu: r.gpu_name,
          gpu_count: r.gpu_count,
          state: r.state,
          provider_status: (r.provider_instance_id && live.get(r.provider_instance_id)) ?? r.provider_status,
          price_per_hour: r.price_per_hour,
          location: r.location,
          owner: r.owner,
        })),
        burn_per_hour: burn,
        deploys_under_way: pending.map((op) => op.id),
      },
    };
  },
});
