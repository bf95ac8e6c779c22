import type { z } from 'zod';
import type { JobSpec } from '../domain/jobs.ts';
import { jobSpecSchema } from '../domain/jobs.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatUsd } from '../format/text.ts';
import {
  describeLimits,
  describeMachine,
  type JobMachinePlan,
  jobLimits,
  loadJobInstance,
  mostItCosts,
  parseRepoArg,
  quoteRent,
  rentQuestion,
  showCommand,
  startJob,
} from './job-plan.ts';
import { runJobSchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

/**
 * "run `python train.py --epochs 3` on a 4090 and destroy it after", "run `bash eval.sh` on i-3":
 * a job (src/domain/jobs.ts) whose command runs exactly as written, on a machine rented for it or
 * on a running instance of the channel. Renting costs money, so that is asked first.
 */

type RunJobArgs = z.output<typeof runJobSchema>;

interface Plan {
  spec: JobSpec;
  machine: JobMachinePlan;
}

/** The rent filters a request gave, which make no sense beside an instance. */
const RENT_ONLY = [
  'gpu',
  'count',
  'min_gpu_ram_gb',
  'max_price_per_gpu_hour',
  'region',
  'image',
  'disk_gb',
] as const;

async function plan(args: RunJobArgs, ctx: RequestContext, services: ToolServices): Promise<Plan> {
  const repo = args.repo === undefined ? undefined : parseRepoArg(args.repo);
  const limits = jobLimits(args, services.config);
  let machine: JobMachinePlan;
  if (args.instance !== undefined) {
    const both = RENT_ONLY.filter((key) => args[key] !== undefined);
    if (both.length > 0) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `Say either the instance to run on (${args.instance}) or the machine to rent (${both.join(', ')}), not both.`,
      );
    }
    machine = { kind: 'instance', row: await loadJobInstance(services, args.instance, ctx) };
  } else {
    machine = { kind: 'rent', quote: await quoteRent(args, services) };
  }
  const spec = jobSpecSchema.parse({
    command: args.command,
    ...(repo && { repo }),
    inputs: args.inputs ?? [],
    target:
      machine.kind === 'instance' ? { kind: 'instance', instance_id: machine.row.id } : machine.quote.target,
    limits,
    retries: args.retries ?? 0,
  });
  return { spec, machine };
}

/** "`python train.py` from https://github.com/org/repo at main, with 2 input files". */
function describeWork(spec: JobSpec): string {
  const from = spec.repo ? ` from ${spec.repo.url}${spec.repo.ref ? ` at ${spec.repo.ref}` : ''}` : '';
  const inputs =
    spec.inputs.length > 0
      ? `, with ${spec.inputs.length} input file${spec.inputs.length === 1 ? '' : 's'}`
      : '';
  return `${showCommand(spec.command)}${from}${inputs}`;
}

export const runJobTool = defineTool({
  name: 'run_job',
  description:
    'Run a shell command as a job, exactly as written: on a GPU rented for it (named, or the cheapest with the memory asked for; destroyed when the job ends) or on a running instance of the channel (left running). Clones a git repository and fetches input files first, streams its output, keeps what it leaves in $GPUOPS_OUTPUT, and stops at its time or money limit. Renting asks for confirmation.',
  schema: runJobSchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const { spec, machine } = await plan(args, ctx, services);
    // The channel's own instance costs nothing more than it already does: nothing to ask.
    if (machine.kind === 'instance') return null;
    const retries =
      spec.retries > 0
        ? [
            `If its host is lost it moves to another machine up to ${spec.retries} time${spec.retries === 1 ? '' : 's'}.`,
          ]
        : [];
    return rentQuestion(describeWork(spec), machine.quote, spec.limits, { extra: retries });
  },
  async run(args, ctx, services) {
    const planned = await plan(args, ctx, services);
    const { spec, machine } = planned;
    return startJob(services, ctx, planned, (ref) => {
      const most =
        machine.kind === 'rent' ? mostItCosts(machine.quote.ceilingPerHour, spec.limits) : undefined;
      return `${ref} queued: ${describeWork(spec)} on ${describeMachine(machine)}; ${describeLimits(spec.limits)}${most !== undefined ? ` (at most ${formatUsd(most)})` : ''}.`;
    });
  },
});
