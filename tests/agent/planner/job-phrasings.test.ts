import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';
import type { PlannedCall } from '../../../src/tools/schemas.ts';

const call = (tool: string, args: Record<string, unknown>): PlannedCall => ({ tool, args }) as PlannedCall;
const run = (args: Record<string, unknown>): PlannedCall => call('run_job', args);

function question(text: string): string {
  const plan = planRequest(text);
  if (plan.kind !== 'clarify')
    throw new Error(`expected a question for "${text}", got ${JSON.stringify(plan)}`);
  return plan.message;
}

describe('a request to run a job', () => {
  it.each([
    [
      'run `python train.py --epochs 3` on a 4090 and destroy it after',
      run({ command: 'python train.py --epochs 3', gpu: 'rtx-4090' }),
    ],
    // The issue's first complaint: this was read as a pause asking which instance.
    [
      'run python train.py on a 4090 and shut it down after',
      run({ command: 'python train.py', gpu: 'rtx-4090' }),
    ],
    [
      'please run `python train.py --epochs 3` on an RTX 4090, then tear it down when it is done',
      run({ command: 'python train.py --epochs 3', gpu: 'rtx-4090' }),
    ],
    [
      'run `python train.py` on the cheapest GPU with 24 GB, stop after 2 hours or $5',
      run({ command: 'python train.py', min_gpu_ram_gb: 24, max_hours: 2, max_cost: 5 }),
    ],
    [
      'run "python train.py" on the cheapest GPU with 24 GB, stop after 2 hours or $5',
      run({ command: 'python train.py', min_gpu_ram_gb: 24, max_hours: 2, max_cost: 5 }),
    ],
    [
      'run train.py from github.com/org/repo@main on 2x A100',
      run({ command: 'python train.py', repo: 'github.com/org/repo@main', gpu: 'a100-40gb', count: 2 }),
    ],
    ['run `bash eval.sh` on i-3', run({ command: 'bash eval.sh', instance: 'i-3' })],
    ['execute bash eval.sh on i-3', run({ command: 'bash eval.sh', instance: 'i-3' })],
    ['could you execute python finetune.py on i-3', run({ command: 'python finetune.py', instance: 'i-3' })],
    ['run eval.sh on instance 3', run({ command: 'bash eval.sh', instance: 'i-3' })],
    ['run ./finetune.sh on i-2', run({ command: './finetune.sh', instance: 'i-2' })],
    ['I want to run train.py on two 4090s', run({ command: 'python train.py', gpu: 'rtx-4090', count: 2 })],
    [
      'run scripts/train.py --lr 3e-4 on a 4090',
      run({ command: 'python scripts/train.py --lr 3e-4', gpu: 'rtx-4090' }),
    ],
    [
      'run python3 -u train.py --config configs/base.yaml on a 4090',
      run({ command: 'python3 -u train.py --config configs/base.yaml', gpu: 'rtx-4090' }),
    ],
    [
      "run 'python eval.py --split test' on i-3",
      run({ command: 'python eval.py --split test', instance: 'i-3' }),
    ],
    [
      'execute `torchrun --nproc_per_node 8 train.py` on 8x H100 SXM, stop after 10 hours',
      run({ command: 'torchrun --nproc_per_node 8 train.py', gpu: 'h100-sxm', count: 8, max_hours: 10 }),
    ],
    [
      'can you run `python train.py` on 2x H100 in the US under $3/hr?',
      run({
        command: 'python train.py',
        gpu: 'h100-pcie',
        count: 2,
        max_price_per_gpu_hour: 3,
        region: 'US',
      }),
    ],
    [
      'run `python train.py` on a 4090 with the pytorch image and 200 GB disk',
      run({ command: 'python train.py', gpu: 'rtx-4090', image: 'pytorch/pytorch:latest', disk_gb: 200 }),
    ],
    [
      'run `python x.py` on a 4090 with s3://bucket/data/train.jsonl',
      run({
        command: 'python x.py',
        gpu: 'rtx-4090',
        inputs: [{ source: 's3://bucket/data/train.jsonl', path: 'train.jsonl' }],
      }),
    ],
    [
      'run `python x.py` from https://github.com/org/repo on a 4090',
      run({ command: 'python x.py', repo: 'https://github.com/org/repo', gpu: 'rtx-4090' }),
    ],
  ])('reads "%s" as one run_job call', (text, expected) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls: [expected] });
  });

  it.each([
    'run `cd src && python train.py; echo done` on a 4090',
    'run `python train.py --instance 3 --node 4 --Name=Big` on a 4090',
    'run ```python train.py --epochs 3``` on a 4090',
    'run `python  train.py   --glob *.txt ~/data` on a 4090',
  ])('takes the command in "%s" exactly as written: no splitting, ids, case or spacing changed', (text) => {
    const plan = planRequest(text);
    const written = /`+([^`]+)`+/.exec(text)![1]!;
    expect(plan).toEqual({ kind: 'calls', calls: [run({ command: written, gpu: 'rtx-4090' })] });
  });

  it.each([
    ['stop after 2 hours or $5', { max_hours: 2, max_cost: 5 }],
    ['for at most 90 minutes', { max_hours: 1.5 }],
    ['at most half an hour', { max_hours: 0.5 }],
    ['for 2 hours', { max_hours: 2 }],
    ['no more than $10', { max_cost: 10 }],
    ['budget $3', { max_cost: 3 }],
    ['$5 max', { max_cost: 5 }],
    ['and stop it if it costs more than $20', { max_cost: 20 }],
    ['and retry on failure', { retries: 1 }],
    ['with retries', { retries: 1 }],
    ['--retries 3', { retries: 3 }],
    ['retry 3 times', { retries: 3 }],
    ['retry twice', { retries: 2 }],
    ['with 3 retries', { retries: 3 }],
    ['no retries', { retries: 0 }],
    ["don't spend more than $5", { max_cost: 5 }],
    ['keep it under $5', { max_cost: 5 }],
    ['with a 2 hour limit', { max_hours: 2 }],
    ['--max-hours 2 --max-cost 5', { max_hours: 2, max_cost: 5 }],
    ['and retry on preemption', { retries: 1 }],
    ["and turn it off when it's done", {}],
    ['then delete the instance', {}],
  ])('reads the limit "%s"', (limit, args) => {
    expect(planRequest(`run \`python train.py\` on a 4090, ${limit}`)).toEqual({
      kind: 'calls',
      calls: [run({ command: 'python train.py', gpu: 'rtx-4090', ...args })],
    });
  });

  it('keeps a price said per hour a price, not a money limit', () => {
    expect(planRequest('run `python train.py` on a 4090 under $0.50/hr, budget $4')).toEqual({
      kind: 'calls',
      calls: [run({ command: 'python train.py', gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5, max_cost: 4 })],
    });
  });

  it.each([
    'run this on the cheapest GPU with 24 GB, stop after 2 hours or $5',
    'run my training script on an H100 overnight',
    'kick off a training run on two 4090s and destroy them when it finishes',
    'kick off my training job on two H100s',
    'train on a 4090 then stop',
  ])('asks which command "%s" means, rather than guessing one', (text) => {
    expect(question(text)).toMatch(/^Which command should I run\? Put it in backticks/);
  });

  it.each([
    ['run nvidia-smi on i-3', 'nvidia-smi'],
    ['ssh into i-3 and run nvidia-smi', 'nvidia-smi'],
    ['run python train.py *.txt on a 4090', 'python train.py'],
    ['run python train.py —epochs 3 on a 4090', 'python train.py'],
  ])('asks for the command of "%s" in backticks rather than reading it unquoted', (text, shown) => {
    expect(question(text)).toContain(`\`${shown}\``);
  });

  it.each([
    'run python train.py',
    'run `python train.py`',
    'please run python -m torch.distributed.run train.py',
  ])('asks where "%s" should run: renting a machine is spending money', (text) => {
    expect(question(text)).toMatch(/^Where should I run it\?/);
  });

  it('asks rather than drop a release of an instance of the team, which a job leaves running', () => {
    expect(question('run `python train.py` on i-3 and shut it down after')).toMatch(
      /^A job on i-3 leaves i-3 running when it ends/,
    );
  });

  it.each([
    ['run `python train.py` on a 9090', /I don't know the GPU "9090"/],
    ['run `python train.py` on a 4090 or a 3090', /One job rents one GPU model/],
    ['run `python train.py` on a 4090 with 48gb', /has 24 GB of memory, less than the 48 GB/],
    ['run `python train.py` on a 4090, retry 20 times', /at most 10 times/],
    ['run `python train.py` on a 4090, stop after 1,5 hours', /can't read "stop after 1,5 hours"/],
    ['run `python train.py` on i-3 with a 4090', /on i-3 as it is, or on a GPU rented for it/],
    ['run train.py with --epochs 3 on a 4090', /Is "--epochs" part of the command\?/],
    ['run `python train.py` on a 4090 but keep it running after', /released when the job ends/],
  ])('asks about "%s" rather than running something else', (text, answer) => {
    expect(question(text)).toMatch(answer);
  });

  it.each([
    ['which gpu should I rent to run my training script for a 7b model?', 'recommend_gpu'],
    ['run qwen2.5 32b in half precision', 'recommend_gpu'],
    ['can a 3090 run Command-R 35B?', 'recommend_gpu'],
    ['stop i-4', 'pause'],
    ['restart i-3', 'resume'],
  ])('leaves "%s" to %s', (text, tool) => {
    expect(planRequest(text)).toMatchObject({ kind: 'calls', calls: [{ tool }] });
  });

  it('no longer says gpuops cannot run jobs, and still says it cannot serve models yet', () => {
    expect(JSON.stringify(planRequest('run train.py on a 4090 and shut it down after'))).not.toMatch(
      /can't run jobs/,
    );
    expect(planRequest('serve llama 3 8b on i-3')).toMatchObject({
      kind: 'unknown',
      message: expect.stringMatching(/^gpuops can't serve models behind an endpoint yet/),
    });
  });
});

describe('a request to fine-tune a model', () => {
  it.each([
    [
      'fine-tune Llama 3.1 8B with QLoRA on s3://bucket/train.jsonl for 3 epochs',
      { model: 'Llama 3.1 8B', dataset: 's3://bucket/train.jsonl', method: 'qlora', epochs: 3 },
    ],
    [
      'finetune qwen2.5 7b with lora on https://example.com/d.jsonl',
      { model: 'qwen2.5 7b', dataset: 'https://example.com/d.jsonl', method: 'lora' },
    ],
    [
      'please fine tune Mistral 7B on s3://data/chat.jsonl using full fine-tuning on 2x A100 80GB, budget $40',
      {
        model: 'Mistral 7B',
        dataset: 's3://data/chat.jsonl',
        method: 'full-finetune',
        gpu: 'a100-80gb',
        count: 2,
        max_cost: 40,
      },
    ],
    [
      'fine-tune meta-llama/Llama-3.1-8B on s3://bucket/train.jsonl, 20k examples, 2 epochs',
      {
        model: 'meta-llama/Llama-3.1-8B',
        dataset: 's3://bucket/train.jsonl',
        epochs: 2,
        training_examples: 20000,
      },
    ],
  ])('reads "%s" as one fine_tune call', (text, args) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls: [call('fine_tune', args)] });
  });

  it.each([
    ['how much GPU do I need to fine-tune Llama 3.1 8B with QLoRA?', 'recommend_gpu'],
    ['fine-tune llama 3 8b on a 4090', 'recommend_gpu'],
  ])('leaves the sizing question "%s" to the advisor', (text, tool) => {
    expect(planRequest(text)).toMatchObject({ kind: 'calls', calls: [{ tool }] });
  });

  it.each([
    ['fine-tune llama 3 8b on i-3', /^A fine-tune rents a machine for itself/],
    ['fine-tune on s3://bucket/train.jsonl', /^Which model should I fine-tune/],
    ['fine-tune llama 3 8b on s3://bucket/train.csv', /trains on a JSONL file/],
    ['fine-tune llama 3 8b on s3://b/train.jsonl', /^I can't fetch s3:\/\/b\/train\.jsonl/],
  ])('asks about "%s"', (text, answer) => {
    expect(question(text)).toMatch(answer);
  });
});

describe('requests about jobs that exist', () => {
  it.each([
    ['logs of j-4', call('job_logs', { job: 'j-4' })],
    ["show me j-4's output", call('job_logs', { job: 'j-4' })],
    ['tail j-4', call('job_logs', { job: 'j-4' })],
    ['logs for job 7', call('job_logs', { job: 'j-7' })],
    ["what's j-4 printing?", call('job_logs', { job: 'j-4' })],
    ['show the last 50 lines of j-4', call('job_logs', { job: 'j-4', lines: 50 })],
    ['list my jobs', call('list_jobs', {})],
    ['what jobs are running?', call('list_jobs', { state: 'active' })],
    ['any jobs running?', call('list_jobs', { state: 'active' })],
    ['show finished jobs', call('list_jobs', { state: 'ended' })],
    ['status of j-4', call('job_status', { job: 'j-4' })],
    ['how is j-4 doing?', call('job_status', { job: 'j-4' })],
    ['is j-4 done?', call('job_status', { job: 'j-4' })],
    ['j-4', call('job_status', { job: 'j-4' })],
    ['cancel j-4', call('cancel_job', { job: 'j-4' })],
    ['stop j-4', call('cancel_job', { job: 'j-4' })],
    ['kill job j-4', call('cancel_job', { job: 'j-4' })],
    ['please abort job 4', call('cancel_job', { job: 'j-4' })],
    ['rerun j-4 on an H100', call('rerun_job', { job: 'j-4', gpu: 'h100-pcie' })],
    ['run j-4 again on 2x A100', call('rerun_job', { job: 'j-4', gpu: 'a100-40gb', count: 2 })],
    ['retry j-4', call('rerun_job', { job: 'j-4' })],
    ['rerun j-4 on i-5', call('rerun_job', { job: 'j-4', instance: 'i-5' })],
    ['restart j-4 on an A100', call('rerun_job', { job: 'j-4', gpu: 'a100-40gb' })],
  ])('reads "%s"', (text, expected) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls: [expected] });
  });

  it('splits a request on two jobs, and one on a job and an instance', () => {
    expect(planRequest('cancel j-4 and rerun it on an H100')).toEqual({
      kind: 'calls',
      calls: [call('cancel_job', { job: 'j-4' }), call('rerun_job', { job: 'j-4', gpu: 'h100-pcie' })],
    });
    expect(planRequest('stop j-4 and pause i-3')).toEqual({
      kind: 'calls',
      calls: [call('cancel_job', { job: 'j-4' }), call('pause', { instance: 'i-3' })],
    });
  });

  it.each([
    ['cancel my job', /^Cancel which job\? Give its id, e.g. "cancel j-4"/],
    ['status of my job', /^Status of which job\?/],
    ['show logs', /^Logs of which job\?/],
    ['rerun j-4 on a 4090 and an H100', /^Rerun j-4 on which GPU/],
    ['cancel j-1.5', /"j-1\.5" is not a job id I can use/],
  ])('asks about "%s"', (text, answer) => {
    expect(question(text)).toMatch(answer);
  });

  it('keeps instance requests on instances', () => {
    expect(planRequest('logs of i-3')).toMatchObject({ calls: [{ tool: 'instance_status' }] });
    expect(planRequest('stop it')).toMatchObject({
      kind: 'clarify',
      message: expect.stringMatching(/^Pause which instance/),
    });
  });
});
