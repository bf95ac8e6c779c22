import { listInstances } from '../../db/repositories/instances.ts';
import type { InstanceState } from '../../db/schema.ts';
import { formatPrice, renderTable } from '../bots/render.ts';
import { instanceRef } from './resolve.ts';
import { listInstancesSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

const ACTIVE: InstanceState[] = ['provisioning', 'running', 'stopping', 'stopped', 'starting', 'destroying'];

export const listInstancesTool = defineTool({
  name: 'list_instances',
  description: "List this channel's GPU instances with their state and price.",
  schema: listInstancesSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const which = args.state ?? 'active';
    const states: InstanceState[] | undefined =
      which === 'all' ? undefined : which === 'active' ? ACTIVE : [which];
    const rows = await listInstances(services.db, { channel: ctx.channel, ...(states && { states }) });
    if (rows.length === 0) {
      return {
        text: `No ${which === 'all' ? '' : `${which} `}instances in this channel. Say "deploy a 4090 under $0.50/hr" to rent one.`,
        data: { instances: [] },
      };
    }
    const billing = rows.filter(
      (r) => r.state === 'running' || r.state === 'provisioning' || r.state === 'starting',
    );
    const burn = billing.reduce((sum, r) => sum + r.price_per_hour, 0);
    const table = renderTable(
      ['id', 'gpu', 'state', 'price', 'where', 'owner'],
      rows.map((r) => [
        instanceRef(r.id),
        `${r.gpu_count}x ${r.gpu_name}`,
        r.state,
        formatPrice(r.price_per_hour),
        r.location ?? '',
        r.owner,
      ]),
    );
    const text = `${rows.length} instance${rows.length === 1 ? '' : 's'}, ${billing.length} billing at ${formatPrice(burn)} in all:\n\`\`\`\n${table}\n\`\`\``;
    return {
      text,
      data: {
        instances: rows.map((r) => ({
          instance: instanceRef(r.id),
          gpu: r.gpu_name,
          gpu_count: r.gpu_count,
          state: r.state,
          price_per_hour: r.price_per_hour,
          location: r.location,
          owner: r.owner,
        })),
        burn_per_hour: burn,
      },
    };
  },
});
