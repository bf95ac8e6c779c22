import { getOperation } from '../../db/repositories/operations.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { formatBytes } from '../format/text.ts';
import { describeSnapshotSchema } from './schemas.ts';
import { loadOwnedSnapshot } from './snapshot-access.ts';
import { defineTool } from './tool.ts';

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const describeSnapshotTool = defineTool({
  name: 'describe_snapshot',
  description:
    'Describe one snapshot of this channel: state, files, size, what it added to storage, when and of which instance, and its largest folders and files.',
  schema: describeSnapshotSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const s = await loadOwnedSnapshot(services.db, args.snapshot, ctx);
    const contents = s.contents;
    const data = {
      snapshot: args.snapshot,
      instance: instanceRef(s.instance_id),
      name: s.name,
      state: s.state,
      requester: s.requester,
      operation: s.operation_id,
      files: s.files === null ? null : Number(s.files),
      bytes: s.bytes === null ? null : Number(s.bytes),
      uploaded_bytes: s.uploaded_bytes === null ? null : Number(s.uploaded_bytes),
      created_at: s.created_at.toISOString(),
      completed_at: s.completed_at?.toISOString() ?? null,
      error: s.error,
      contents,
    };
    const named = s.name ? ` "${s.name}"` : '';
    const scheduled = (await getOperation(services.db, s.operation_id))?.args.scheduled === true;
    const lines = [
      `${args.snapshot}${named} of ${instanceRef(s.instance_id)}: ${s.state === 'in_progress' ? 'being taken' : s.state}`,
      `Taken ${utc(s.created_at)}${s.completed_at ? `, complete ${((s.completed_at.getTime() - s.created_at.getTime()) / 1000).toFixed(1)} s later` : ''}, ${scheduled ? 'on its schedule' : `by ${s.requester}`} (operation ${s.operation_id}).`,
    ];
    if (s.state === 'complete') {
      lines.push(
        `${data.files} files, ${formatBytes(data.bytes ?? 0)}; it added ${formatBytes(data.uploaded_bytes ?? 0)} to storage (the rest was stored already).`,
      );
    }
    if (s.error) lines.push(`Failed: ${s.error.message} (${s.error.code})`);
    if (contents) {
      lines.push(`${contents.dirs} folders, ${contents.symlinks} symlinks.`);
      if (contents.top_level.length > 0) {
        lines.push(
          `Largest at the top: ${contents.top_level
            .map(
              (t) =>
                `${t.path}${t.type === 'dir' ? `/ ${formatBytes(t.bytes)} (${t.files} files)` : ` ${formatBytes(t.bytes)}`}`,
            )
            .join(', ')}.`,
        );
      }
      if (contents.largest_files.length > 0) {
        lines.push(
          `Largest files: ${contents.largest_files.map((f) => `${f.path} ${formatBytes(f.bytes)}`).join(', ')}.`,
        );
      }
    } else if (s.state === 'complete') {
      lines.push('(Its largest files were not recorded: it was taken by an earlier version of gpuops.)');
    }
    if (s.state === 'complete') lines.push(`Say "restore ${args.snapshot} onto i-…" to bring it back.`);
    return { text: lines.join('\n'), data };
  },
});
