import { instanceRef } from '../domain/instance-ref.ts';
import { instanceAction } from './instance-action.ts';
import { resumeSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

const resuming = instanceAction({
  from: ['stopped', 'hibernated'],
  refusal: (ref, state) => `${ref} is ${state}; only a paused (stopped) instance can be resumed.`,
});

export const resumeTool = defineTool({
  name: 'resume',
  description:
    'Start a paused (stopped) instance again on the same machine, if its GPUs are still free; a hibernated one is woken on the best matching new machine with its workspace restored.',
  schema: resumeSchema,
  kind: 'job',
  async run(args, ctx, services) {
    const row = await resuming.load(services, args.instance, ctx);
    const ref = instanceRef(row.id);
    if (row.state === 'hibernated') {
      // Its machine was released: waking restores its snapshot onto the best matching offer.
      return resuming.start(services, ctx, row, {
        kind: 'failover',
        args: { instance: ref, reason: 'wake' },
        answer: `Waking ${ref}: its machine was released when it hibernated, so I'm renting the best matching ${row.gpu_count}x ${row.gpu_name} offer and restoring its workspace there.`,
      });
    }
    return resuming.start(services, ctx, row, {
      kind: 'resume',
      args,
      answer: `Resuming ${ref} (${row.gpu_count}x ${row.gpu_name}).`,
    });
  },
});
