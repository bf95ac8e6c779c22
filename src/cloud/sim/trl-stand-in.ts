import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shellQuote } from '../../util/shell-quote.ts';

/**
 * The simulator's stand-in of Hugging Face TRL's command line (`trl sft`), put on every simulated
 * instance's PATH, so a fine-tune job runs here with the real trainer's command line and prints,
 * writes and fails as the real one does, at a pace the simulator sets. Written in Node (the only
 * runtime a simulated instance is sure to have) as a script file, since the instance runs it as a
 * program of its own.
 *
 * What it matches, from TRL 1.9.0's sources (`trl/cli/main.py`, `trl/cli/commands/training.py`,
 * `trl/scripts/sft.py`, `trl/scripts/_hf_argparser.py`, `trl/scripts/utils.py`,
 * `trl/trainer/{sft_config,base_config,model_config}.py`) and transformers 5's `TrainingArguments`
 * (`src/transformers/training_args.py`) and `ProgressCallback`:
 *
 * - Flags: every field of ScriptArguments, SFTConfig (TrainingArguments included), ModelConfig and
 *   DatasetMixtureConfig, as HfArgumentParser makes them: `--name value`, `--name=value`, the
 *   `--name-with-dashes` alias, booleans as `--flag` or `--flag true|false|yes|no|1|0`, `--no_<flag>`
 *   for booleans that default to true, optional booleans (`--bf16`) needing a value, lists taking
 *   several values, choices checked. `trl sft` hands flags it does not know to `accelerate launch`,
 *   which knows its own (`--num_processes`, `--mixed_precision`, ...) and refuses the rest with
 *   "unrecognized arguments", exit status 2.
 * - `--dataset_name` is a local folder of data files, split by their names (`train.jsonl` is the
 *   train split), as `datasets.load_dataset` reads a folder; no Hub here.
 * - Output: tqdm's step bar on stderr (updates separated by `\r`), the Trainer's log dicts as Python
 *   prints them on stdout (`{'loss': 1.8765, 'grad_norm': 0.41, 'learning_rate': 1.9e-05, 'entropy':
 *   ..., 'num_tokens': ..., 'mean_token_accuracy': ..., 'epoch': 0.33}`), the closing metrics,
 *   "✅ Training completed." and "💾 Model saved to <dir>.".
 * - Files: `checkpoint-<step>/` every `--save_steps` and at the last step (adapter, adapter_config.json,
 *   trainer_state.json whose `log_history` is the loss log), `--save_total_limit` honoured; at the
 *   end `adapter_model.safetensors` (a valid safetensors file whose bytes follow from the inputs:
 *   same model, data and settings, same bytes) and `adapter_config.json` in `--output_dir`
 *   (`model.safetensors` and `config.json` without `--use_peft`), and a README.md model card.
 * - `--resume_from_checkpoint` is accepted and, as in TRL 1.9.0 (whose sft script calls
 *   `trainer.train()` without it, and the Trainer reads the argument only from that call), has no
 *   effect: training starts again from step 0. A job that must resume needs a trainer that wires it.
 */

/** The TRL release whose command line the stand-in follows. */
export const TRL_STAND_IN_VERSION = '1.9.0';

export interface TrlStandInOptions {
  /** Folder on the instance's PATH: gets `trl`. */
  binDir: string;
  /** Folder off the PATH: gets the program `trl` runs. */
  libDir: string;
  /** How long one optimizer step takes, ms. */
  stepMs: number;
  /** Where GPU work registers itself for the stand-in nvidia-smi (see nvidia-smi.ts): training shows as load. */
  loadDir: string;
}

/** Writes `trl` (a shell wrapper that runs the stand-in with this Node) and its program. */
export async function installTrlStandIn(o: TrlStandInOptions): Promise<void> {
  await mkdir(o.libDir, { recursive: true });
  await mkdir(o.binDir, { recursive: true });
  const program = path.join(o.libDir, 'trl-stand-in.mjs');
  const config = [
    `const STEP_MS = ${JSON.stringify(Math.max(0, o.stepMs))};`,
    `const TRL_VERSION = ${JSON.stringify(TRL_STAND_IN_VERSION)};`,
    `const LOAD_DIR = ${JSON.stringify(o.loadDir)};`,
    '',
  ].join('\n');
  await writeFile(program, config + PROGRAM);
  const wrapper = path.join(o.binDir, 'trl');
  await writeFile(wrapper, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(program)} "$@"\n`);
  await chmod(wrapper, 0o755);
}

// The program, as plain JavaScript for Node with no packages. Kept free of template-literal syntax
// so that it can sit in this raw string as it is.
const PROGRAM = String.raw`
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const COMMANDS = ['dpo', 'env', 'grpo', 'kto', 'reward', 'rloo', 'sft', 'skills', 'vllm-serve'];
const OPTIMIZERS = ['adamw_torch', 'adamw_torch_fused', 'adamw_torch_xla', 'adamw_torch_npu_fused', 'adamw_apex_fused',
  'adafactor', 'adamw_anyprecision', 'adamw_torch_4bit', 'adamw_torch_8bit', 'ademamix', 'sgd', 'adagrad',
  'adamw_bnb_8bit', 'adamw_8bit', 'ademamix_8bit', 'lion_8bit', 'lion_32bit', 'paged_adamw_32bit', 'paged_adamw_8bit',
  'paged_ademamix_32bit', 'paged_ademamix_8bit', 'paged_lion_32bit', 'paged_lion_8bit', 'rmsprop', 'rmsprop_bnb',
  'rmsprop_bnb_8bit', 'rmsprop_bnb_32bit', 'galore_adamw', 'galore_adamw_8bit', 'galore_adafactor',
  'galore_adamw_layerwise', 'galore_adamw_8bit_layerwise', 'galore_adafactor_layerwise', 'lomo', 'adalomo',
  'grokadamw', 'schedule_free_radam', 'schedule_free_adamw', 'schedule_free_sgd', 'apollo_adamw',
  'apollo_adamw_layerwise', 'stable_adamw'];
const INTERVALS = ['no', 'steps', 'epoch'];
const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical', 'passive'];

// Each field: [kind, default]. Kinds: str, int, float, bool (a value optional), obool (Optional[bool]:
// a value needed), list (one or more values), or a list of choices.
const FIELDS = {
  // trl/scripts/utils.py ScriptArguments
  dataset_name: ['str', null], dataset_config: ['str', null], dataset_train_split: ['str', 'train'],
  dataset_test_split: ['str', 'test'], dataset_streaming: ['bool', false], ignore_bias_buffers: ['bool', false],
  // trl/scripts/utils.py DatasetMixtureConfig
  datasets: ['list', []], streaming: ['bool', false], test_split_size: ['float', null],
  // trl/trainer/model_config.py ModelConfig
  model_name_or_path: ['str', null], model_revision: ['str', 'main'],
  dtype: [['auto', 'bfloat16', 'float16', 'float32'], 'float32'], attn_implementation: ['str', null],
  use_peft: ['bool', false], lora_r: ['int', 16], lora_alpha: ['int', 32], lora_dropout: ['float', 0.05],
  lora_target_modules: ['list', null], lora_target_parameters: ['list', null], lora_modules_to_save: ['list', null],
  lora_task_type: ['str', 'CAUSAL_LM'], use_rslora: ['bool', false], use_dora: ['bool', false],
  load_in_8bit: ['bool', false], load_in_4bit: ['bool', false], bnb_4bit_quant_type: [['fp4', 'nf4'], 'nf4'],
  use_bnb_nested_quant: ['bool', false], bnb_4bit_quant_storage: ['str', null],
  // trl/trainer/sft_config.py SFTConfig and base_config.py _BaseConfig (their defaults win)
  model_init_kwargs: ['str', null], router_aux_loss_coef: ['float', 0.001], trust_remote_code: ['bool', false],
  chat_template_path: ['str', null], dataset_text_field: ['str', 'text'], dataset_kwargs: ['str', null],
  dataset_num_proc: ['int', null], eos_token: ['str', null], max_length: ['int', 1024],
  truncation_mode: [['keep_end', 'keep_start'], 'keep_start'], shuffle_dataset: ['bool', false],
  packing: ['bool', false], packing_strategy: [['bfd', 'bfd_split', 'wrapped'], 'bfd'], padding_free: ['bool', false],
  pad_to_multiple_of: ['int', null], eval_packing: ['obool', null], completion_only_loss: ['obool', null],
  assistant_only_loss: ['bool', false], loss_type: ['str', null], activation_offloading: ['bool', false],
  pad_token: ['str', null],
  // transformers TrainingArguments
  output_dir: ['str', null], per_device_train_batch_size: ['int', 8], num_train_epochs: ['float', 3],
  max_steps: ['int', -1], learning_rate: ['float', 2e-5], lr_scheduler_type: ['str', 'linear'],
  lr_scheduler_kwargs: ['str', null], warmup_steps: ['float', 0], optim: [OPTIMIZERS, 'adamw_torch_fused'],
  optim_args: ['str', null], weight_decay: ['float', 0], adam_beta1: ['float', 0.9], adam_beta2: ['float', 0.999],
  adam_epsilon: ['float', 1e-8], optim_target_modules: ['str', null], gradient_accumulation_steps: ['int', 1],
  average_tokens_across_devices: ['bool', true], max_grad_norm: ['float', 1], label_smoothing_factor: ['float', 0],
  bf16: ['obool', null], fp16: ['bool', false], bf16_full_eval: ['bool', false], fp16_full_eval: ['bool', false],
  tf32: ['obool', null], gradient_checkpointing: ['bool', true], gradient_checkpointing_kwargs: ['str', null],
  torch_compile: ['bool', false], torch_compile_backend: ['str', null], torch_compile_mode: ['str', null],
  use_liger_kernel: ['bool', false], liger_kernel_config: ['str', null], use_cache: ['bool', false],
  neftune_noise_alpha: ['float', null], torch_empty_cache_steps: ['int', null], auto_find_batch_size: ['bool', false],
  logging_strategy: [INTERVALS, 'steps'], logging_steps: ['float', 10], logging_first_step: ['bool', false],
  log_on_each_node: ['bool', true], logging_nan_inf_filter: ['bool', true], include_num_input_tokens_seen: ['bool', 'no'],
  log_level: [LOG_LEVELS, 'passive'], log_level_replica: [LOG_LEVELS, 'warning'], disable_tqdm: ['obool', null],
  report_to: ['str', 'none'], run_name: ['str', null], project: ['str', 'huggingface'], trackio_space_id: ['str', 'trackio'],
  eval_strategy: [INTERVALS, 'no'], eval_steps: ['float', null], eval_delay: ['float', 0],
  per_device_eval_batch_size: ['int', 8], prediction_loss_only: ['bool', false], eval_on_start: ['bool', false],
  eval_do_concat_batches: ['bool', true], eval_use_gather_object: ['bool', false], eval_accumulation_steps: ['int', null],
  include_for_metrics: ['list', []], batch_eval_metrics: ['bool', false], save_only_model: ['bool', false],
  save_strategy: [['no', 'steps', 'epoch', 'best'], 'steps'], save_steps: ['float', 500], save_on_each_node: ['bool', false],
  save_total_limit: ['int', null], enable_jit_checkpoint: ['bool', false], push_to_hub: ['bool', false],
  hub_token: ['str', null], hub_private_repo: ['obool', null], hub_model_id: ['str', null],
  hub_strategy: [['end', 'every_save', 'checkpoint', 'all_checkpoints'], 'every_save'], hub_always_push: ['bool', false],
  hub_revision: ['str', null], load_best_model_at_end: ['bool', false], metric_for_best_model: ['str', null],
  greater_is_better: ['obool', null], ignore_data_skip: ['bool', false], restore_callback_states_from_checkpoint: ['bool', false],
  full_determinism: ['bool', false], seed: ['int', 42], data_seed: ['int', null], use_cpu: ['bool', false],
  accelerator_config: ['str', null], parallelism_config: ['str', null], dataloader_drop_last: ['bool', false],
  dataloader_num_workers: ['int', 0], dataloader_pin_memory: ['bool', true], dataloader_persistent_workers: ['bool', false],
  dataloader_prefetch_factor: ['int', null], remove_unused_columns: ['bool', true], label_names: ['list', null],
  train_sampling_strategy: [['random', 'sequential', 'group_by_length'], 'random'], length_column_name: ['str', 'length'],
  ddp_find_unused_parameters: ['obool', null], ddp_bucket_cap_mb: ['int', null], ddp_broadcast_buffers: ['obool', null],
  ddp_backend: [['nccl', 'gloo', 'mpi', 'xccl', 'hccl', 'cncl', 'mccl'], null], ddp_timeout: ['int', 1800],
  fsdp: ['str', null], fsdp_config: ['str', null], deepspeed: ['str', null], debug: ['list', ''],
  skip_memory_metrics: ['bool', true], do_train: ['bool', false], do_eval: ['bool', false], do_predict: ['bool', false],
  resume_from_checkpoint: ['str', null], warmup_ratio: ['float', null], logging_dir: ['str', null], local_rank: ['int', -1],
};

// What accelerate launch takes of what trl sft passes on: [name, takes a value].
const ACCELERATE = new Map([
  ['config_file', true], ['quiet', false], ['cpu', false], ['multi_gpu', false], ['tpu', false],
  ['mixed_precision', true], ['num_processes', true], ['num_machines', true], ['num_cpu_threads_per_process', true],
  ['dynamo_backend', true], ['gpu_ids', true], ['same_network', false], ['machine_rank', true],
  ['main_process_ip', true], ['main_process_port', true], ['rdzv_backend', true], ['main_training_function', true],
  ['use_deepspeed', false], ['use_fsdp', false], ['deepspeed_config_file', true], ['zero_stage', true],
  ['accelerate_config', true],
]);

const out = (line) => process.stdout.write(line + '\n');
const err = (text) => process.stderr.write(text);

function usageExit(prog, message) {
  err('usage: ' + prog + ' [-h] [--dataset_name DATASET_NAME] [--model_name_or_path MODEL_NAME_OR_PATH] [--output_dir OUTPUT_DIR] ...\n');
  err(prog + ': error: ' + message + '\n');
  process.exit(2);
}

function failWith(type, message) {
  err('Traceback (most recent call last):\n  File "trl/scripts/sft.py", in <module>\n' + type + ': ' + message + '\n');
  process.exit(1);
}

const looksLikeValue = (t) => t !== undefined && (!t.startsWith('-') || /^-\d+(\.\d*)?([eE][-+]?\d+)?$/.test(t));
const TRUE = ['yes', 'true', 't', 'y', '1'];
const FALSE = ['no', 'false', 'f', 'n', '0'];

function convert(name, kind, raw) {
  const bad = (what) => usageExit('trl sft', 'argument --' + name + ': ' + what);
  if (Array.isArray(kind)) {
    if (!kind.includes(raw)) bad("invalid choice: '" + raw + "' (choose from " + kind.map((c) => "'" + c + "'").join(', ') + ')');
    return raw;
  }
  if (kind === 'int') {
    if (!/^[-+]?\d+$/.test(raw.trim())) bad("invalid int value: '" + raw + "'");
    return Number(raw);
  }
  if (kind === 'float') {
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim())) bad("invalid float value: '" + raw + "'");
    return Number(raw);
  }
  if (kind === 'bool' || kind === 'obool') {
    const v = raw.toLowerCase();
    if (TRUE.includes(v)) return true;
    if (FALSE.includes(v)) return false;
    bad('Truthy value expected: got ' + raw + ' but expected one of yes/no, true/false, t/f, y/n, 1/0 (case insensitive).');
  }
  return raw;
}

/** HfArgumentParser's reading of the command line; what it does not know goes to accelerate launch. */
function parseSft(argv) {
  const args = {};
  for (const [name, [, fallback]] of Object.entries(FIELDS)) args[name] = fallback;
  const unknown = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '-h' || token === '--help') {
      out('usage: trl sft [-h] [--config CONFIG] [--dataset_name DATASET_NAME] ... (the simulator\'s stand-in of TRL ' + TRL_VERSION + ')');
      process.exit(0);
    }
    if (!token.startsWith('--') || token === '--') {
      unknown.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const flag = eq < 0 ? token.slice(2) : token.slice(2, eq);
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const name = flag.replace(/-/g, '_');
    if (name === 'config') {
      usageExit('trl sft', 'the simulator\'s stand-in does not read --config files; give the settings as flags');
    }
    const negated = name.startsWith('no_') && FIELDS[name.slice(3)] && FIELDS[name.slice(3)][1] === true;
    const field = FIELDS[name];
    if (negated) {
      if (inline !== undefined) usageExit('trl sft', 'argument --' + flag + ': ignored explicit argument \'' + inline + '\'');
      args[name.slice(3)] = false;
      continue;
    }
    if (!field) {
      const takes = ACCELERATE.get(name);
      unknown.push(token);
      if (takes === true && inline === undefined && looksLikeValue(argv[i + 1])) {
        i++;
        unknown.push(argv[i]);
      }
      continue;
    }
    const kind = field[0];
    if (kind === 'bool') {
      if (inline !== undefined) args[name] = convert(flag, kind, inline);
      else if (looksLikeValue(argv[i + 1])) args[name] = convert(flag, kind, argv[++i]);
      else args[name] = true;
      continue;
    }
    if (kind === 'list') {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && looksLikeValue(argv[i + 1])) values.push(argv[++i]);
      if (values.length === 0) usageExit('trl sft', 'argument --' + flag + ': expected at least one argument');
      args[name] = values;
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (!looksLikeValue(argv[i + 1])) usageExit('trl sft', 'argument --' + flag + ': expected one argument');
      raw = argv[++i];
    }
    args[name] = convert(flag, kind, raw);
  }
  return { args, unknown };
}

/** accelerate launch's reading of what trl sft passed on: its own flags, and nothing else. */
function checkAccelerate(unknown) {
  const refused = [];
  const launch = { num_processes: 1 };
  for (let i = 0; i < unknown.length; i++) {
    const token = unknown[i];
    const eq = token.indexOf('=');
    const name = (eq < 0 ? token : token.slice(0, eq)).replace(/^--?/, '').replace(/-/g, '_');
    const takes = token.startsWith('-') ? ACCELERATE.get(name === 'q' ? 'quiet' : name) : undefined;
    if (takes === undefined) {
      refused.push(token);
      continue;
    }
    if (takes) {
      const value = eq < 0 ? unknown[++i] : token.slice(eq + 1);
      if (name === 'num_processes') launch.num_processes = Math.max(1, Number(value) || 1);
    }
  }
  if (refused.length > 0) {
    err('usage: accelerate <command> [<args>] launch [-h] [--config_file CONFIG_FILE] [--quiet] [--cpu] [--multi_gpu] [--mixed_precision {no,fp16,bf16,fp8}] [--num_processes NUM_PROCESSES] ... training_script ...\n');
    err('Accelerate launch command: error: unrecognized arguments: ' + refused.join(' ') + '\n');
    process.exit(2);
  }
  return launch;
}

/** Python's repr of a float, as the Trainer's log dicts print. */
function pyFloat(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e16) {
    const [mantissa, exponent] = x.toExponential().split('e');
    const e = Number(exponent);
    return mantissa + 'e' + (e < 0 ? '-' : '+') + String(Math.abs(e)).padStart(2, '0');
  }
  return String(x);
}

const pyDict = (entries) => '{' + entries.map(([k, v]) => "'" + k + "': " + pyFloat(v)).join(', ') + '}';
const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const two = (n) => String(n).padStart(2, '0');
  return s >= 3600 ? Math.floor(s / 3600) + ':' + two(Math.floor(s / 60) % 60) + ':' + two(s % 60) : two(Math.floor(s / 60)) + ':' + two(s % 60);
}

/** One tqdm update, as the Trainer's progress bar draws it on a terminal-less stderr. */
function tqdmLine(n, total, elapsed) {
  const fraction = total > 0 ? n / total : 0;
  const filled = Math.floor(fraction * 10);
  const bar = '\u2588'.repeat(filled) + (filled < 10 ? ' '.repeat(10 - filled) : '');
  const rate = elapsed > 0 ? n / elapsed : 0;
  const rateText = n === 0 ? '?it/s' : rate >= 1 ? rate.toFixed(2) + 'it/s' : (1 / rate).toFixed(2) + 's/it';
  const remaining = n === 0 ? '?' : clock(((total - n) * elapsed) / n);
  return String(Math.round(fraction * 100)).padStart(3, ' ') + '%|' + bar + '| ' + n + '/' + total + ' [' + clock(elapsed) + '<' + remaining + ', ' + rateText + ']';
}

/** The data files of a local dataset folder, by split, as datasets names splits after file names. */
function loadFolder(folder) {
  const files = readdirSync(folder, { recursive: true })
    .map(String)
    .filter((f) => /\.(jsonl|json|csv|tsv|parquet|txt|arrow)$/.test(f) && statSync(path.join(folder, f)).isFile())
    .sort();
  const splits = {};
  const splitOf = (f) => {
    const words = path.basename(f).toLowerCase().split(/[^a-z0-9]+/);
    if (words.includes('train') || words.includes('training')) return 'train';
    if (words.includes('test') || words.includes('testing') || words.includes('eval') || words.includes('evaluation')) return 'test';
    if (words.includes('validation') || words.includes('valid') || words.includes('val') || words.includes('dev')) return 'validation';
    return null;
  };
  const named = files.filter((f) => splitOf(f) !== null);
  for (const f of named.length > 0 ? named : files) {
    const split = splitOf(f) ?? 'train';
    (splits[split] ??= []).push(f);
  }
  const hash = createHash('sha256');
  const count = {};
  let bytes = 0;
  for (const [split, list] of Object.entries(splits)) {
    count[split] = 0;
    for (const f of list) {
      const data = readFileSync(path.join(folder, f));
      hash.update(f + '\0').update(data);
      bytes += data.length;
      const text = data.toString('utf8');
      if (f.endsWith('.json') && text.trimStart().startsWith('[')) count[split] += JSON.parse(text).length;
      else count[split] += text.split('\n').filter((line) => line.trim() !== '').length - (/\.(csv|tsv)$/.test(f) ? 1 : 0);
    }
  }
  return { count, digest: hash.digest('hex'), bytes };
}

/** Deterministic numbers from the run's inputs: the same run, the same curve and bytes. */
function numbers(seedHex) {
  let state = BigInt('0x' + seedHex.slice(0, 16)) || 1n;
  return () => {
    state ^= state << 13n; state &= 0xffffffffffffffffn;
    state ^= state >> 7n;
    state ^= state << 17n; state &= 0xffffffffffffffffn;
    return Number(state >> 11n) / 2 ** 53;
  };
}

/** A valid safetensors file: 8-byte little-endian header length, JSON header, little-endian F32 data. */
function safetensors(tensors) {
  const header = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shape, data] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const body = Buffer.alloc(offset);
  let at = 0;
  for (const [, , data] of tensors) for (const v of data) { body.writeFloatLE(v, at); at += 4; }
  return Buffer.concat([head, Buffer.from(json), body]);
}

function weights(args, runDigest, step) {
  const random = numbers(createHash('sha256').update(runDigest + ':' + step).digest('hex'));
  const hidden = 64;
  const tensors = [];
  if (args.use_peft) {
    const targets = args.lora_target_modules ?? ['q_proj', 'v_proj'];
    for (let layer = 0; layer < 2; layer++) {
      for (const module of targets) {
        const prefix = 'base_model.model.model.layers.' + layer + '.self_attn.' + module;
        const a = Array.from({ length: args.lora_r * hidden }, () => (random() - 0.5) * 0.02);
        const b = Array.from({ length: hidden * args.lora_r }, () => (random() - 0.5) * 0.002 * step);
        tensors.push([prefix + '.lora_A.weight', [args.lora_r, hidden], a]);
        tensors.push([prefix + '.lora_B.weight', [hidden, args.lora_r], b]);
      }
    }
  } else {
    tensors.push(['model.embed_tokens.weight', [16, hidden], Array.from({ length: 16 * hidden }, () => random() - 0.5)]);
  }
  return safetensors(tensors);
}

function adapterConfig(args) {
  return JSON.stringify({
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: args.model_name_or_path, bias: 'none',
    fan_in_fan_out: false, inference_mode: true, init_lora_weights: true, layers_pattern: null,
    layers_to_transform: null, lora_alpha: args.lora_alpha, lora_dropout: args.lora_dropout,
    modules_to_save: args.lora_modules_to_save, peft_type: 'LORA', r: args.lora_r, rank_pattern: {},
    revision: null, target_modules: args.lora_target_modules ?? ['q_proj', 'v_proj'], task_type: args.lora_task_type,
    use_dora: args.use_dora, use_rslora: args.use_rslora,
  }, null, 2) + '\n';
}

function saveModel(dir, args, runDigest, step) {
  mkdirSync(dir, { recursive: true });
  if (args.use_peft) {
    writeFileSync(path.join(dir, 'adapter_model.safetensors'), weights(args, runDigest, step));
    writeFileSync(path.join(dir, 'adapter_config.json'), adapterConfig(args));
  } else {
    writeFileSync(path.join(dir, 'model.safetensors'), weights(args, runDigest, step));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ _name_or_path: args.model_name_or_path }, null, 2) + '\n');
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const every = (value, total) => (value < 1 ? Math.max(1, Math.ceil(value * total)) : Math.max(1, Math.round(value)));

async function sft(argv) {
  const { args, unknown } = parseSft(argv);
  const launch = checkAccelerate(unknown);
  if (!args.dataset_name && args.datasets.length === 0) failWith('ValueError', 'Either ' + '\u0060datasets\u0060 or \u0060dataset_name\u0060 must be provided.');
  if (!args.model_name_or_path) failWith('ValueError', 'The simulator\'s trl stand-in needs --model_name_or_path: the model to train.');
  const folder = args.dataset_name ?? args.datasets[0];
  if (!existsSync(folder)) {
    failWith('datasets.exceptions.DatasetNotFoundError', "Dataset '" + folder + "' doesn't exist on the Hub or cannot be accessed.");
  }
  if (!statSync(folder).isDirectory()) {
    failWith('FileNotFoundError', "Couldn't find any data file at " + folder + ': give the folder that holds it (datasets.load_dataset reads a folder of data files; the simulator has no Hub).');
  }
  const data = loadFolder(folder);
  const examples = data.count[args.dataset_train_split];
  if (examples === undefined) failWith('KeyError', "'" + args.dataset_train_split + "'");
  if (args.eval_strategy !== 'no' && data.count[args.dataset_test_split] === undefined) failWith('KeyError', "'" + args.dataset_test_split + "'");
  if (examples < 1) failWith('ValueError', 'The train split of ' + folder + ' has no examples.');
  const outputDir = path.resolve(args.output_dir ?? 'trainer_output');

  const perStep = args.per_device_train_batch_size * launch.num_processes;
  const batches = Math.ceil(examples / perStep);
  const stepsPerEpoch = Math.max(1, Math.ceil(batches / args.gradient_accumulation_steps));
  const maxSteps = args.max_steps > 0 ? args.max_steps : Math.max(1, Math.ceil(args.num_train_epochs * stepsPerEpoch));
  const warmup = args.warmup_ratio !== null ? Math.ceil(args.warmup_ratio * maxSteps) : args.warmup_steps < 1 ? Math.ceil(args.warmup_steps * maxSteps) : Math.round(args.warmup_steps);
  const logEvery = every(args.logging_steps, maxSteps);
  const saveEvery = every(args.save_steps, maxSteps);
  const runDigest = createHash('sha256').update(JSON.stringify([args.model_name_or_path, data.digest, args.use_peft, args.lora_r,
    args.lora_alpha, args.lora_dropout, args.lora_target_modules, args.learning_rate, maxSteps, args.per_device_train_batch_size,
    args.gradient_accumulation_steps, args.seed, args.load_in_4bit, args.load_in_8bit])).digest('hex');
  const random = numbers(runDigest);
  const tokensPerExample = Math.max(16, Math.min(args.max_length ?? 1024, Math.round(data.bytes / examples / 4)));

  const lrAt = (step) => {
    if (step < warmup) return (args.learning_rate * step) / Math.max(1, warmup);
    const progress = (step - warmup) / Math.max(1, maxSteps - warmup);
    if (args.lr_scheduler_type.startsWith('constant')) return args.learning_rate;
    if (args.lr_scheduler_type.startsWith('cosine')) return args.learning_rate * 0.5 * (1 + Math.cos(Math.PI * progress));
    return args.learning_rate * Math.max(0, 1 - progress);
  };
  const lossAt = (step) => 0.85 + 1.3 * Math.exp((-3 * step) / maxSteps) + (random() - 0.5) * 0.08;

  const logHistory = [];
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  let windowLoss = 0;
  let windowSteps = 0;
  let lossSum = 0;
  let saved = [];
  const showBar = args.disable_tqdm !== true;
  if (showBar) err('\r' + tqdmLine(0, maxSteps, 0));
  const log = (step, entries) => {
    const epoch = step / stepsPerEpoch;
    logHistory.push(Object.fromEntries([...entries, ['epoch', epoch], ['step', step]]));
    const line = pyDict([...entries, ['epoch', round(epoch, 2)]]);
    if (showBar) err('\r' + ' '.repeat(60) + '\r');
    out(line);
  };
  const checkpoint = (step) => {
    const dir = path.join(outputDir, 'checkpoint-' + step);
    saveModel(dir, args, runDigest, step);
    writeFileSync(path.join(dir, 'trainer_state.json'), JSON.stringify({
      best_global_step: null, best_metric: null, best_model_checkpoint: null, epoch: step / stepsPerEpoch,
      eval_steps: args.eval_steps ?? logEvery, global_step: step, is_hyper_param_search: false,
      is_local_process_zero: true, is_world_process_zero: true, log_history: logHistory, logging_steps: logEvery,
      max_steps: maxSteps, num_input_tokens_seen: 0, num_train_epochs: Math.ceil(maxSteps / stepsPerEpoch),
      save_steps: saveEvery, total_flos: 0, train_batch_size: args.per_device_train_batch_size, trial_name: null,
      trial_params: null,
    }, null, 2) + '\n');
    saved.push(step);
    if (args.save_total_limit !== null && args.save_total_limit > 0) {
      while (saved.length > args.save_total_limit) {
        rmSync(path.join(outputDir, 'checkpoint-' + saved.shift()), { recursive: true, force: true });
      }
    }
  };

  // Every GPU busy while it trains, as nvidia-smi will report; the entry goes when the process does.
  const load = path.join(LOAD_DIR, String(process.pid));
  try {
    mkdirSync(LOAD_DIR, { recursive: true });
    writeFileSync(load, 'all 97\n');
    process.on('exit', () => rmSync(load, { force: true }));
  } catch {
    // Without its load entry the run only looks idle to nvidia-smi; the training itself goes on.
  }
  for (let step = 1; step <= maxSteps; step++) {
    await sleep(STEP_MS);
    const loss = lossAt(step);
    windowLoss += loss;
    windowSteps += 1;
    lossSum += loss;
    if (showBar) err('\r' + tqdmLine(step, maxSteps, elapsed()));
    const epochEnds = step % stepsPerEpoch === 0;
    const logNow = (args.logging_strategy === 'steps' && (step % logEvery === 0 || (step === 1 && args.logging_first_step))) ||
      (args.logging_strategy === 'epoch' && epochEnds);
    if (logNow) {
      const progress = step / maxSteps;
      log(step, [
        ['loss', round(windowLoss / windowSteps, 4)],
        ['grad_norm', 0.25 + 0.9 * Math.exp(-2 * progress) + random() * 0.1],
        ['learning_rate', lrAt(step)],
        ['entropy', 1.1 + 0.9 * Math.exp(-2 * progress) + random() * 0.05],
        ['num_tokens', step * perStep * args.gradient_accumulation_steps * tokensPerExample],
        ['mean_token_accuracy', 0.52 + 0.25 * progress + random() * 0.02],
      ]);
      windowLoss = 0;
      windowSteps = 0;
    }
    const saveNow = (args.save_strategy === 'steps' && (step % saveEvery === 0 || step === maxSteps)) ||
      (args.save_strategy === 'epoch' && (epochEnds || step === maxSteps));
    if (saveNow) checkpoint(step);
  }
  if (showBar) err('\n');
  const runtime = elapsed();
  log(maxSteps, [
    ['train_runtime', round(runtime, 4)],
    ['train_samples_per_second', round((examples * maxSteps) / stepsPerEpoch / Math.max(runtime, 1e-3), 3)],
    ['train_steps_per_second', round(maxSteps / Math.max(runtime, 1e-3), 3)],
    ['train_loss', lossSum / maxSteps],
  ]);
  out('\u2705 Training completed.');
  saveModel(outputDir, args, runDigest, maxSteps);
  writeFileSync(path.join(outputDir, 'README.md'), '---\nbase_model: ' + args.model_name_or_path + '\nlibrary_name: transformers\ntags:\n- generated_from_trainer\n- sft\n- trl\n---\n\n# Model Card\n\nThis model is a fine-tuned version of ' + args.model_name_or_path + ', trained with [TRL](https://github.com/huggingface/trl) (the gpuops simulator\'s stand-in of TRL ' + TRL_VERSION + ').\n');
  out('\uD83D\uDCBE Model saved to ' + (args.output_dir ?? 'trainer_output') + '.');
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '-h' || command === '--help') {
  out('usage: trl [-h] {' + COMMANDS.join(',') + '} ...');
  process.exit(0);
}
if (!COMMANDS.includes(command)) {
  err('usage: trl [-h] {' + COMMANDS.join(',') + '} ...\n');
  err("trl: error: argument command: invalid choice: '" + command + "' (choose from " + COMMANDS.map((c) => "'" + c + "'").join(', ') + ')\n');
  process.exit(2);
}
if (command === 'env') {
  out('\nCopy-paste the following information when reporting an issue:\n');
  out('- Platform: ' + process.platform + ' (gpuops simulator)');
  out('- TRL version: ' + TRL_VERSION + ' (the simulator\'s stand-in)\n');
  process.exit(0);
}
if (command !== 'sft') {
  err('trl ' + command + ': the gpuops simulator\'s stand-in of TRL runs "trl sft" only.\n');
  process.exit(2);
}
await sft(rest);
`;
