import type { InstanceRow } from '../../../db/schema.ts';
import { gpuById } from '../../cloud/gpu-catalog.ts';
import { sshCommand } from '../../cloud/ssh/ssh-command.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { formatBytes, formatPrice } from '../../format/text.ts';
import { type JobHandler, operationArgs } from '../queue/job-context.ts';
import { provisionMachine } from './provision-machine.ts';
import { deployLabel } from './rental-label.ts';
import { restoreSnapshotOnto } from './snapshot-jobs.ts';

export const runDeploy: JobHandler = async (ctx) => {
  const args = operationArgs(ctx.operation, 'deploy');
  const gpu = gpuById(args.gpu);
  if (!gpu) throw new GpuopsError(ErrorCode.UnknownGpu, `Unknown GPU id "${args.gpu}" in the job.`);
  await ctx.report(0, `${args.count}x ${gpu.displayName}`);
  const { row: running, gpus } = await provisionMachine(ctx, args, {
    label: deployLabel(ctx.operation.id),
    steps: { renting: 1, booting: 2, checking: 3 },
  });
  const result = deployResult(running, gpus);
  if (!args.restore_snapshot) return result;
  // Not done until every file of the snapshot is there: a restore that fails fails the deploy,
  // whose ending releases the machine.
  const restored = await restoreSnapshotOnto(ctx, running, args.restore_snapshot, 4);
  return {
    ...result,
    snapshot: args.restore_snapshot,
    summary: `${result.summary} · ${args.restore_snapshot} restored and verified: ${restored.files} files, ${formatBytes(restored.bytes)}`,
  };
};

function deployResult(row: InstanceRow, gpus: string[]): OperationResult {
  const ssh = row.ssh_host && row.ssh_port ? sshCommand(row.ssh_host, row.ssh_port) : undefined;
  return {
    instance: instanceRef(row.id),
    gpu: row.gpu_name,
    gpuCount: row.gpu_count,
    pricePerHour: row.price_per_hour,
    state: row.state,
    ...(row.location && { location: row.location }),
    ...(ssh && { ssh }),
    summary: [
      `${instanceRef(row.id)} running`,
      `${row.gpu_count}x ${row.gpu_name}`,
      formatPrice(row.price_per_hour),
      row.location ?? '',
      gpus.length > 0 ? `${gpus.length} GPU${gpus.length === 1 ? '' : 's'} seen` : '',
      ssh ?? '',
    ]
      .filter(Boolean)
      .join(' · '),
  };
}
