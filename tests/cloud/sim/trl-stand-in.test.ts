import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRL_STAND_IN_VERSION } from '../../../src/cloud/sim/trl-stand-in.ts';
import { readGpuUtilization } from '../../../src/cloud/ssh/gpu-utilization.ts';
import { RemoteJob } from '../../../src/cloud/ssh/remote-job.ts';
import type { SshTarget } from '../../../src/cloud/ssh/ssh-client.ts';
import { cheapestOffer, newKeyPair, sshExec, useSimulator, waitForStatus } from '../../support/simulator.ts';
import { waitFor } from '../../support/wait.ts';

/** The fine-tune command line of issue #18, as TRL 1.9's `trl sft` takes it. */
const FINE_TUNE = [
  'trl sft',
  '--model_name_or_path meta-llama/Llama-3.1-8B-Instruct',
  '--dataset_name data',
  '--use_peft --load_in_4bit --bnb_4bit_quant_type nf4',
  '--lora_r 16 --lora_alpha 32 --lora_dropout 0.05 --lora_target_modules q_proj k_proj v_proj o_proj',
  '--num_train_epochs 3 --per_device_train_batch_size 2 --gradient_accumulation_steps 2',
  '--learning_rate 2e-4 --lr_scheduler_type cosine --warmup_steps 0.1',
  '--logging_steps 2 --save_steps 5 --save_total_limit 2 --bf16 true --report_to none',
  '--mixed_precision bf16',
].join(' ');

describe("the simulator's stand-in of TRL's trainer (trl sft)", () => {
  const { sim, api } = useSimulator({ trainerStepMs: 5 });
  const key = newKeyPair();
  let instanceId: number;
  let target: SshTarget;
  let workspace: string;

  beforeAll(async () => {
    await api.registerKey(key.public);
    const offer = await cheapestOffer(api, { gpu_name: { eq: 'RTX 4090' }, num_gpus: { eq: 1 } });
    instanceId = (await api.create(offer.id)).json.new_contract!;
    const running = await waitForStatus(api, instanceId, 'running');
    target = { host: running.ssh_host!, port: running.ssh_port!, privateKey: key.private };
    workspace = await realpath(path.join(sim.dataDir, 'instances', String(instanceId), 'workspace'));
    const examples = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `question ${i}` },
          { role: 'assistant', content: `answer ${i}` },
        ],
      }),
    );
    const written = await sshExec(
      target,
      'mkdir -p /workspace/data && cat > /workspace/data/train.jsonl',
      `${examples.join('\n')}\n`,
    );
    expect(written.code).toBe(0);
  });

  const run = (command: string) => sshExec(target, command);
  const outputFile = (...parts: string[]) => readFile(path.join(workspace, ...parts));

  it('trains as a job over SSH with the real flags: loss lines, checkpoints, adapter and loss log', async () => {
    const job = new RemoteJob(target, 'fine-tune-1');
    await job.start({ command: `${FINE_TUNE} --output_dir "$GPUOPS_OUTPUT/adapter"`, workdir: '/workspace' });
    let offset = 0;
    let log = '';
    for (;;) {
      const read = await job.read(offset);
      log += read.bytes.toString('utf8');
      offset = read.nextOffset;
      if (read.complete) {
        expect(read.state).toMatchObject({ kind: 'exited', code: 0 });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // 40 examples, 2 a batch, 2 batches a step: 10 steps an epoch, 30 in all, a log line every 2.
    const losses = [
      ...log.matchAll(
        /^\{'loss': (\d+\.\d+), 'grad_norm': [\d.e-]+, 'learning_rate': [\d.e-]+, 'entropy': [\d.]+, 'num_tokens': [\d.]+, 'mean_token_accuracy': [\d.]+, 'epoch': ([\d.]+)\}$/gm,
      ),
    ];
    expect(losses).toHaveLength(15);
    expect(losses.map((m) => m[2])).toContain('1.0');
    expect(Number(losses.at(-1)![1])).toBeLessThan(Number(losses[0]![1]));
    expect(log).toMatch(
      /^\{'train_runtime': [\d.]+, 'train_samples_per_second': [\d.]+, 'train_steps_per_second': [\d.]+, 'train_loss': [\d.]+, 'epoch': 3\.0\}$/m,
    );
    expect(log).toMatch(/100%\|█{10}\| 30\/30 \[/);
    expect(log).toContain('✅ Training completed.\n');
    expect(log).toContain(`💾 Model saved to ${workspace}/output/adapter.\n`);

    const adapter = await outputFile('output', 'adapter', 'adapter_model.safetensors');
    const headerLength = Number(adapter.readBigUInt64LE(0));
    const header = JSON.parse(adapter.subarray(8, 8 + headerLength).toString('utf8'));
    expect(header['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight']).toMatchObject({
      dtype: 'F32',
      shape: [16, 64],
    });
    expect(Object.keys(header).filter((name) => name.endsWith('lora_B.weight'))).toHaveLength(8);
    const config = JSON.parse((await outputFile('output', 'adapter', 'adapter_config.json')).toString());
    expect(config).toMatchObject({
      peft_type: 'LORA',
      r: 16,
      lora_alpha: 32,
      base_model_name_or_path: 'meta-llama/Llama-3.1-8B-Instruct',
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
    });

    // Every 5 steps and at the last, two kept; the last one's state holds the whole loss log.
    expect(
      (await run('ls /workspace/output/adapter')).stdout
        .split('\n')
        .filter((f) => f.startsWith('checkpoint-')),
    ).toEqual(['checkpoint-25', 'checkpoint-30']);
    const state = JSON.parse(
      (await outputFile('output', 'adapter', 'checkpoint-30', 'trainer_state.json')).toString(),
    );
    expect(state).toMatchObject({ global_step: 30, max_steps: 30, epoch: 3 });
    expect(state.log_history.map((entry: { loss: number }) => entry.loss)).toEqual(
      losses.map((m) => Number(m[1])),
    );
  });

  it('shows as GPU load while it trains, and stops when its job is cancelled', async () => {
    const job = new RemoteJob(target, 'fine-tune-long');
    await job.start({ command: `${FINE_TUNE} --max_steps 100000 --output_dir long`, workdir: '/workspace' });
    await waitFor(async () => (await readGpuUtilization(target, 15_000))[0] === 97, {
      what: 'the GPU to be busy training',
      timeoutMs: 20_000,
    });
    expect(await job.cancel(2_000)).toMatchObject({ kind: 'killed', signal: 'SIGTERM', cancelled: true });
    await waitFor(async () => (await readGpuUtilization(target, 15_000))[0] === 0, {
      what: 'the GPU to be idle again',
      timeoutMs: 20_000,
    });
  });

  it('writes the same adapter bytes for the same inputs, and other bytes for other settings', async () => {
    const [same, other] = await Promise.all([
      run(`cd /workspace && ${FINE_TUNE} --output_dir again > /dev/null 2>&1`),
      run(
        `cd /workspace && ${FINE_TUNE.replace('--lora_r 16', '--lora_r 8')} --output_dir other > /dev/null 2>&1`,
      ),
    ]);
    expect([same.code, other.code]).toEqual([0, 0]);
    const first = await outputFile('output', 'adapter', 'adapter_model.safetensors');
    expect((await outputFile('again', 'adapter_model.safetensors')).equals(first)).toBe(true);
    expect((await outputFile('other', 'adapter_model.safetensors')).equals(first)).toBe(false);
  });

  it('accepts --resume_from_checkpoint and, as TRL 1.9 does, trains from step 0 all the same', async () => {
    const resumed = await run(
      `cd /workspace && ${FINE_TUNE} --max_steps 4 --output_dir output/adapter --resume_from_checkpoint output/adapter/checkpoint-30 2>/dev/null`,
    );
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.split('\n')[0]).toMatch(/^\{'loss': [\d.]+, .*'epoch': 0\.2\}$/);
  });

  it('refuses a flag TRL does not have, as its command line does, and a value of the wrong type', async () => {
    const unknown = await run(`cd /workspace && ${FINE_TUNE} --lora_rank 16 --output_dir nope`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'Accelerate launch command: error: unrecognized arguments: --lora_rank 16',
    );
    const badValue = await run(`cd /workspace && ${FINE_TUNE.replace('--lora_r 16', '--lora_r sixteen')}`);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain("trl sft: error: argument --lora_r: invalid int value: 'sixteen'");
    const noValue = await run('trl sft --model_name_or_path m --dataset_name /workspace/data --bf16');
    expect(noValue.stderr).toContain('trl sft: error: argument --bf16: expected one argument');
    const noData = await run('trl sft --model_name_or_path m');
    expect(noData.code).toBe(1);
    expect(noData.stderr).toContain('ValueError: Either `datasets` or `dataset_name` must be provided.');
    expect((await run('ls /workspace')).stdout).not.toContain('nope');
  });

  it('says which TRL it stands in for', async () => {
    expect((await run('trl env')).stdout).toContain(`TRL version: ${TRL_STAND_IN_VERSION}`);
  });
});
