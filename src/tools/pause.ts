import { instanceRef } from '../domain/instance-ref.ts';
import { instanceAction } from './instance-action.ts';
import { pauseSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

const pausing = instanceAction({
  from: ['running'],
  refusal: (ref, state) => `${ref} is ${state}, so there is nothing to pause.`,
});

export const pauseTool = defineTool({
  name: 'pause',
  description:
    'Stop a running instance to stop paying for its GPUs (disk is still billed). It may not resume if someone else rents the GPUs meanwhile.',
  schema: pauseSchema,
  kind: 'job',
  async run(args, ctx, services) {
    const row = await pausing.load(services, args.instance, ctx);
    return pausing.start(services, ctx, row, {
      kind: 'pause',
      args,
      answer: `Pausing ${instanceRef(row.id)} (${row.gpu_count}x ${row.gpu_name}).`,
    });
  },
});
