import { instanceRef } from '../domain/instance-ref.ts';
import { LIVE_STATES } from '../domain/instance-states.ts';
import { formatPrice } from '../format/text.ts';
import { instanceAction } from './instance-action.ts';
import { destroySchema } from './schemas.ts';
import { defineTool } from './tool.ts';

const destroying = instanceAction({
  // Every state but destroyed: a machine exists, or (hibernated) a snapshot stands in for it.
  from: [...LIVE_STATES, 'hibernated', 'on_standby'],
  refusal: (ref) => `${ref} is already destroyed; nothing bills.`,
  // A destroy replaces a pause or resume that has not started yet: the user wants the machine gone.
  supersedes: ['pause', 'resume'],
});

export const destroyTool = defineTool({
  name: 'destroy',
  description:
    'Destroy an instance for good: the machine is released and its disk deleted. Asks for confirmation.',
  schema: destroySchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const row = await destroying.load(services, args.instance, ctx);
    return `Destroy ${instanceRef(row.id)} (${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}, ${row.state})? Its disk and everything on it will be deleted; this cannot be undone.`;
  },
  async run(args, ctx, services) {
    const row = await destroying.load(services, args.instance, ctx);
    return destroying.start(services, ctx, row, {
      kind: 'destroy',
      args,
      answer: `Destroying ${instanceRef(row.id)}.`,
    });
  },
});
