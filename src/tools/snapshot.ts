import { instanceRef } from '../domain/instance-ref.ts';
import { instanceAction } from './instance-action.ts';
import { snapshotSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

const snapshotting = instanceAction({
  from: ['running'],
  refusal: (ref, state) => `${ref} is ${state}; its workspace can be snapshotted only while it runs.`,
});

export const snapshotTool = defineTool({
  name: 'snapshot',
  description:
    "Back up a running instance's workspace into snapshot storage (only what changed since its last snapshot is uploaded), optionally named.",
  schema: snapshotSchema,
  kind: 'job',
  async run(args, ctx, services) {
    const row = await snapshotting.load(services, args.instance, ctx);
    return snapshotting.start(services, ctx, row, {
      kind: 'snapshot',
      args,
      answer: `Snapshotting ${instanceRef(row.id)}${args.name ? ` as "${args.name}"` : ''}.`,
    });
  },
});
