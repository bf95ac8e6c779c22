import type { z } from 'zod';
import { jobSpecOf } from '../../db/repositories/jobs.ts';
import type { JobRow } from '../../db/schema.ts';
import { gpuById } from '../cloud/gpu-catalog.ts';
import { type JobSpec, jobRef, jobSpecSchema } from '../domain/jobs.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatUsd } from '../format/text.ts';
import {
  describeLimits,
  describeMachine,
  type JobMachinePlan,
  loadJobInstance,
  mostItCosts,
  quoteRent,
  rentQuestion,
  showCommand,
  startJob,
} from './job-plan.ts';
import { loadChannelJob } from './job-view.ts';
import { rerunJobSchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

/**
 * "rerun j-4 on an H100": a new job with the old one's spec (command, repository, inputs, limits,
 * retries, template), on the machine the request names or else the same kind of machine as
 * before, quoted again now. The old job is left as it ended.
 */

type RerunJobArgs = z.output<typeof rerunJobSchema>;

interface Plan {
  old: JobRow;
  spec: JobSpec;
  machine: JobMachinePlan;
}

async function plan(args: RerunJobArgs, ctx: RequestContext, services: ToolServices): Promise<Plan> {
  const old = await loadChannelJob(services.db, args.job, ctx);
  const before = jobSpecOf(old);
  if (args.instance !== undefined && (args.gpu !== undefined || args.count !== undefined)) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `Say either the instance to rerun ${args.job} on or the GPU to rent for it, not both.`,
    );
  }
  let machine: JobMachinePlan;
  if (args.instance !== undefined) {
    machine = { kind: 'instance', row: await loadJobInstance(services, args.instance, ctx) };
  } else if (before.target.kind === 'instance' && args.gpu === undefined) {
    if (args.count !== undefined) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `${args.job} ran on an instance; name the GPU to rent for the rerun ("rerun ${args.job} on 2x 4090").`,
      );
    }
    machine = {
      kind: 'instance',
      row: await loadJobInstance(services, `i-${before.target.instance_id}`, ctx),
    };
  } else {
    const was = before.target.kind === 'rent' ? before.target : undefined;
    // A GPU named anew rents at today's prices: the old ceiling was for the old GPU.
    const sameGpu = args.gpu === undefined;
    machine = {
      kind: 'rent',
      quote: await quoteRent(
        {
          gpu: args.gpu ?? (was ? (gpuById(was.gpu) ?? was.gpu) : undefined),
          count: args.count ?? was?.count ?? 1,
          ...(sameGpu && was?.max_price_per_gpu_hour !== undefined && args.count === undefined
            ? { max_price_per_gpu_hour: was.max_price_per_gpu_hour }
            : {}),
          ...(was?.region !== undefined && { region: was.region }),
          ...(was && { image: was.image, disk_gb: was.disk_gb }),
        },
        services,
      ),
    };
  }
  const spec = jobSpecSchema.parse({
    ...before,
    target:
      machine.kind === 'instance' ? { kind: 'instance', instance_id: machine.row.id } : machine.quote.target,
  });
  return { old, spec, machine };
}

export const rerunJobTool = defineTool({
  name: 'rerun_job',
  description:
    'Run a job of this channel again as a new job ("rerun j-4", "rerun j-4 on an H100"): the same command, repository, inputs, limits and retries, on the GPU or instance named, else the same kind of machine as before. Renting asks for confirmation.',
  schema: rerunJobSchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const { spec, machine } = await plan(args, ctx, services);
    if (machine.kind === 'instance') return null;
    return rentQuestion(
      `${showCommand(spec.command)} again (a rerun of ${args.job})`,
      machine.quote,
      spec.limits,
    );
  },
  async run(args, ctx, services) {
    const { old, spec, machine } = await plan(args, ctx, services);
    return startJob(services, ctx, { spec, machine, rerunOf: old.id }, (ref) => {
      const most =
        machine.kind === 'rent' ? mostItCosts(machine.quote.ceilingPerHour, spec.limits) : undefined;
      return `${ref} queued, a rerun of ${jobRef(old.id)}: ${showCommand(spec.command)} on ${describeMachine(machine)}; ${describeLimits(spec.limits)}${most !== undefined ? ` (at most ${formatUsd(most)})` : ''}.`;
    });
  },
});
