import { listSnapshots } from '../../db/repositories/snapshots.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { formatBytes, renderTable } from '../format/text.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { listSnapshotsSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const listSnapshotsTool = defineTool({
  name: 'list_snapshots',
  description: "List this channel's snapshots (newest first), or one instance's.",
  schema: listSnapshotsSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const instance = args.instance ? await loadOwnedInstance(services.db, args.instance, ctx) : undefined;
    const rows = await listSnapshots(services.db, { channel: ctx.channel, instanceId: instance?.id });
    const data = rows.map((r) => ({
      snapshot: `snap-${r.id}`,
      instance: instanceRef(r.instance_id),
      name: r.name,
      state: r.state,
      files: r.files === null ? null : Number(r.files),
      bytes: r.bytes === null ? null : Number(r.bytes),
      created_at: r.created_at.toISOString(),
    }));
    if (rows.length === 0) {
      return {
        text: `No snapshots${instance ? ` of ${instanceRef(instance.id)}` : ' in this channel'} yet. Say "snapshot i-3" to take one.`,
        data,
      };
    }
    const table = renderTable(
      ['snapshot', 'instance', 'name', 'state', 'files', 'size', 'taken'],
      data.map((d) => [
        d.snapshot,
        d.instance,
        d.name ?? '',
        d.state,
        d.files === null ? '' : String(d.files),
        d.bytes === null ? '' : formatBytes(d.bytes),
        d.created_at.slice(0, 16).replace('T', ' '),
      ]),
    );
    return { text: `Snapshots${instance ? ` of ${instanceRef(instance.id)}` : ''}:\n${table}`, data };
  },
});
