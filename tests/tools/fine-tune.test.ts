import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getJob, jobSpecOf } from '../../db/repositories/jobs.ts';
import type { Database } from '../../db/schema.ts';
import { advise } from '../../src/advisor/advise.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { installTrlStandIn, TRL_STAND_IN_VERSION } from '../../src/cloud/sim/trl-stand-in.ts';
import { VastProvider } from '../../src/cloud/vast/vast-provider.ts';
import { loadConfig } from '../../src/config.ts';
import type { JobRef, OperationKind, OperationRequest } from '../../src/domain/operations.ts';
import type { RequestContext } from '../../src/domain/request-context.ts';
import { silentLogger } from '../../src/log.ts';
import {
  FINE_TUNE_DATA_PATH,
  fineTuneTool,
  hubModel,
  TRL_VERSION,
  trlCommand,
} from '../../src/tools/fine-tune.ts';
import { getTool } from '../../src/tools/registry.ts';
import type { OperationInputsIn } from '../../src/tools/schemas.ts';
import type { ToolOperations, ToolServices } from '../../src/tools/tool.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

const ctx: RequestContext = {
  user: 'alice',
  channel: 'team-ml',
  replyTo: { surface: 'test', channel: 'team-ml' },
};

let operationSeq = 0;
class RecordingOperations implements ToolOperations {
  readonly requests: OperationRequest<OperationInputsIn, OperationKind>[] = [];
  async enqueue<K extends OperationKind>(request: OperationRequest<OperationInputsIn, K>): Promise<JobRef> {
    this.requests.push(request);
    operationSeq += 1;
    return { operationId: `op-fine-tune-${operationSeq}`, kind: request.kind };
  }
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command line as a job's shell would, in a folder holding the fetched data set, with the
 * simulator's stand-in of `trl` (TRL 1.9.0's flags, unknown ones refused with exit 2) on the PATH.
 */
async function runWithStandIn(root: string, command: string): Promise<Ran & { workdir: string }> {
  const workdir = await mkdtemp(path.join(root, 'job-'));
  await mkdir(path.join(workdir, path.dirname(FINE_TUNE_DATA_PATH)), { recursive: true });
  const examples = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: 'user', content: `question ${i}` },
        { role: 'assistant', content: `answer ${i}` },
      ],
    }),
  );
  await writeFile(path.join(workdir, FINE_TUNE_DATA_PATH), `${examples.join('\n')}\n`);
  await mkdir(path.join(workdir, 'output'));
  const ran = await new Promise<Ran>((resolve) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      {
        cwd: workdir,
        env: {
          PATH: `${path.join(root, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          GPUOPS_OUTPUT: path.join(workdir, 'output'),
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
  return { ...ran, workdir };
}

describe('fine_tune', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let sim: Simulator;
  let provider: VastProvider;
  let operations: RecordingOperations;
  let services: ToolServices;
  let root: string;
  const config = loadConfig({ GPUOPS_JOB_MAX_HOURS: '24', GPUOPS_JOB_MAX_COST: '100' });

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    db = database.handle.db;
    sim = await startSimulator({ timeScale: 0, offers: 2_400, seed: 21 });
    provider = new VastProvider({ baseUrl: sim.url, apiKey: 'test', timeoutMs: 5_000, retries: 1 });
    root = await mkdtemp(path.join(tmpdir(), 'gpuops-fine-tune-'));
    await installTrlStandIn({
      binDir: path.join(root, 'bin'),
      libDir: path.join(root, 'lib'),
      stepMs: 0,
      loadDir: path.join(root, 'gpu-load'),
    });
  });
  afterAll(async () => {
    await sim?.close();
    await database?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    operations = new RecordingOperations();
    services = { config, db, provider, operations, log: silentLogger };
  });

  it('writes the command for the TRL release the stand-in follows', () => {
    expect(TRL_VERSION).toBe(TRL_STAND_IN_VERSION);
  });

  it("builds a `trl sft` command line every flag of which TRL's command line takes; the adapter and loss curve land in $GPUOPS_OUTPUT", async () => {
    const result = await fineTuneTool.run(
      { model: 'Llama 3.1 8B', dataset: 's3://bucket/train.jsonl', method: 'qlora', epochs: 3 },
      ctx,
      services,
    );
    const command = jobSpecOf((await getJob(db, jobIdOf(operations)))!).command;
    expect(command).toContain("trl sft --model_name_or_path 'meta-llama/Llama-3.1-8B' --dataset_name data");
    expect(command).toContain('--num_train_epochs 3');
    expect(command).toContain('--use_peft --lora_r 16 --lora_alpha 32 --load_in_4bit true');
    expect(command).toContain('--output_dir "$GPUOPS_OUTPUT"');
    expect(result.text).toContain('The adapter and trainer_state.json (the loss curve) are kept');

    const ran = await runWithStandIn(root, command);
    expect(ran.stderr).not.toContain('error:');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^\{'loss': \d+\.\d+, /m);
    expect(ran.stdout).toContain('✅ Training completed.');
    const output = path.join(ran.workdir, 'output');
    expect((await stat(path.join(output, 'adapter_model.safetensors'))).size).toBeGreaterThan(0);
    const adapterConfig = JSON.parse(await readFile(path.join(output, 'adapter_config.json'), 'utf8'));
    expect(adapterConfig).toMatchObject({
      base_model_name_or_path: 'meta-llama/Llama-3.1-8B',
      r: 16,
      lora_alpha: 32,
    });
    const checkpoints = (await readdir(output)).filter((name) => name.startsWith('checkpoint-'));
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    expect(checkpoints.length).toBeLessThanOrEqual(2);
    const state = JSON.parse(
      await readFile(path.join(output, checkpoints.at(-1)!, 'trainer_state.json'), 'utf8'),
    );
    expect(state.log_history.some((entry: { loss?: number }) => typeof entry.loss === 'number')).toBe(true);
  });

  it.each([
    ['lora', 1, false],
    ['full-finetune', 1, true],
    ['qlora', 4, true],
  ] as const)('%s on %d GPUs (bf16 %s) is a command line TRL takes too', async (method, gpus, bf16) => {
    const command = trlCommand({
      hubId: 'Qwen/Qwen2.5-7B-Instruct',
      method,
      epochs: 1,
      gpus,
      bf16,
      loraRank: 8,
      seqLen: 1024,
      microBatch: 2,
    });
    const ran = await runWithStandIn(root, command);
    expect(ran.stderr).not.toContain('error:');
    expect(ran.code).toBe(0);
    const output = await readdir(path.join(ran.workdir, 'output'));
    expect(output).toContain(method === 'full-finetune' ? 'model.safetensors' : 'adapter_model.safetensors');
  });

  it('is a real check: a flag TRL does not know is refused', async () => {
    const command = `${trlCommand({ hubId: 'org/model', method: 'lora', epochs: 1, gpus: 1, bf16: true, loraRank: 16, seqLen: 2048, microBatch: 1 })} --lora_rank 16`;
    const ran = await runWithStandIn(root, command);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('unrecognized arguments: --lora_rank 16');
  });

  it("asks first with the advisor's memory arithmetic, its pick and the run's estimated time and cost", async () => {
    const args = {
      model: 'Llama 3.1 8B',
      dataset: 's3://bucket/train.jsonl',
      method: 'qlora' as const,
      epochs: 3,
      training_examples: 20_000,
    };
    const advice = await advise(
      { model: 'Llama 3.1 8B', task: 'qlora', epochs: 3, training_examples: 20_000 },
      provider,
      config,
    );
    const pick = advice.recommendation!;
    expect(pick.usd_per_run).toBeGreaterThan(0);
    const question = (await fineTuneTool.confirmation!(args, ctx, services))!;
    expect(question).toContain(
      `Memory: ${advice.memory_gb.total} GB = weights ${advice.memory_gb.weights} + `,
    );
    expect(question).toContain(`${pick.count}x ${pick.gpu} has `);
    expect(question).toContain('30,720,000 training tokens');
    expect(question).toContain(`about $${pick.usd_per_run!.toFixed(2)} in all`);
    expect(question).toContain(`(offer ${pick.offer_id})`);
    expect(question).toContain('The most it can cost: $');
    expect(operations.requests).toHaveLength(0);

    await fineTuneTool.run(args, ctx, services);
    const spec = jobSpecOf((await getJob(db, jobIdOf(operations)))!);
    expect(spec.inputs).toEqual([{ source: 's3://bucket/train.jsonl', path: 'data/train.jsonl' }]);
    expect(spec.target).toMatchObject({
      kind: 'rent',
      gpu: pick.gpu_id,
      count: pick.count,
      offer_id: pick.offer_id,
    });
    expect(spec.template).toEqual({
      name: 'fine-tune',
      model: 'Llama 3.1 8B',
      method: 'qlora',
      dataset: 's3://bucket/train.jsonl',
      epochs: 3,
      estimated_hours: pick.est_hours,
      estimated_cost: pick.usd_per_run,
    });
    expect(spec.limits).toEqual({ max_seconds: 24 * 3600, max_cost: 100 });
  });

  it('warns when the estimate is longer than the time limit', async () => {
    const question = (await fineTuneTool.confirmation!(
      {
        model: 'Llama 3.1 8B',
        dataset: 's3://bucket/train.jsonl',
        method: 'qlora',
        epochs: 3,
        training_examples: 20_000,
        max_hours: 0.1,
      },
      ctx,
      services,
    ))!;
    expect(question).toContain('is longer than the time limit: it would stop before it finishes');
  });

  it('rents a GPU the request names instead of the pick, and refuses one that cannot hold the model', async () => {
    await fineTuneTool.run(
      {
        model: 'Qwen2.5 7B',
        dataset: 'https://data.example.com/sets/train.jsonl',
        method: 'lora',
        epochs: 1,
        gpu: 'A100 80GB',
      },
      ctx,
      services,
    );
    const spec = jobSpecOf((await getJob(db, jobIdOf(operations)))!);
    expect(spec.target).toMatchObject({ kind: 'rent', gpu: 'a100-80gb', count: 1 });
    expect(spec.command).toContain("--model_name_or_path 'Qwen/Qwen2.5-7B");
    expect(spec.command).toContain('--bf16 true');

    await expect(
      fineTuneTool.run(
        {
          model: 'Llama 3.1 70B',
          dataset: 's3://bucket/train.jsonl',
          method: 'full-finetune',
          epochs: 1,
          gpu: '4090',
          count: 1,
        },
        ctx,
        services,
      ),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/^No: .*Nothing was rented/),
    });
    expect(operations.requests).toHaveLength(1);
  });

  it('reads a Hugging Face id as it is, and refuses data and models it cannot use', async () => {
    expect(hubModel('mistralai/Mistral-7B-v0.3')).toEqual({
      hubId: 'mistralai/Mistral-7B-v0.3',
      adviseAs: 'Mistral-7B-v0.3',
    });
    expect(hubModel('Llama 3.1 8B').hubId).toBe('meta-llama/Llama-3.1-8B');
    const tool = getTool('fine_tune')!;
    for (const dataset of ['ftp://host/train.jsonl', 's3://bucket/train.csv', 'train.jsonl']) {
      await expect(
        tool.run({ model: 'Llama 3.1 8B', dataset }, ctx, services),
        dataset,
      ).rejects.toMatchObject({
        code: 'bad_input',
      });
    }
    await expect(
      tool.run({ model: 'Llama 3 13B', dataset: 's3://bucket/train.jsonl' }, ctx, services),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining("I don't know the model"),
    });
    await expect(
      tool.run({ model: 'a 7B model', dataset: 's3://bucket/train.jsonl' }, ctx, services),
    ).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining('Hugging Face id') });
    expect(operations.requests).toHaveLength(0);
  });
});

function jobIdOf(operations: RecordingOperations): number {
  const last = operations.requests.at(-1);
  if (!last) throw new Error('nothing was enqueued');
  return (last.args as { job: number }).job;
}
