import { TOOLS } from '../tools/registry.ts';
import type { ToolName } from '../tools/schemas.ts';
import type { Tool } from '../tools/tool.ts';
import { DECLARATIONS } from './planner/declarations/index.ts';
import { planRequest } from './planner/index.ts';

/**
 * Which tools the model is offered for a request. Every definition is sent on every round trip,
 * so as tools are added the set is chosen per request from the offline planner's reading of it:
 * the tools it would call and their neighbours, never everything at once. A request the planner
 * cannot place gets the everyday set.
 */

/** Always offered: cheap, read-only, and what a model needs to look before it acts. */
const ALWAYS: readonly ToolName[] = ['list_instances', 'instance_status'];

/** Offered whenever a request talks about a CPU standby. */
const STANDBY: readonly ToolName[] = ['standby', 'snapshot', 'failover'];
const STANDBY_WORDS = /\b(?:stand[\s-]?by|cpu\s+(?:vm|machine|fallback))\b/i;

/** For requests the planner cannot place that talk about snapshots. */
const SNAPSHOTS: readonly ToolName[] = [
  'snapshot',
  'list_snapshots',
  'restore',
  'describe_snapshot',
  'delete_snapshot',
  'snapshot_policy',
];
const SNAPSHOT_WORDS =
  /\b(?:snapshots?|snapshotting|snap-\d+|back\s*ups?|back(?:ing)?\s+(?:\S+\s+)?up|restore|checkpoints?|retention)\b/i;

/** For requests the planner cannot place that talk about idle instances and auto-pause. */
const AUTO_PAUSE: readonly ToolName[] = ['auto_pause', 'stop_auto_pause', 'keep_running', 'idle_savings'];
const AUTO_PAUSE_WORDS = /\b(?:idle|idling|auto[\s-]?paus\w*|keep\s+\S+\s+(?:running|up|alive))\b/i;

/** For requests the planner cannot place. */
const EVERYDAY: readonly ToolName[] = ['search_offers', 'deploy', 'pause', 'resume', 'destroy'];

/** For requests the planner cannot place that talk about models. */
const ADVICE: readonly ToolName[] = ['recommend_gpu', 'deploy_recommendation'];

/** Words of a question about which GPU fits a model, which the advisor answers. */
const ADVICE_WORDS =
  /\b(?:models?|serv(?:e|ing)|inference|train(?:ing)?|fine[\s-]?tun\w*|q?lora|vram|memory|llm|llama|qwen|mistral|mixtral|gemma|deepseek|phi|tokens?|\d+(?:\.\d+)?\s*b)\b/i;

export function selectTools(text: string): Tool[] {
  const chosen = new Set<ToolName>(ALWAYS);
  const plan = planRequest(text);
  const planned = plan.kind === 'calls' ? plan.calls.map((c) => c.tool) : [];
  for (const tool of planned) {
    chosen.add(tool);
    for (const next of DECLARATIONS[tool].neighbours) chosen.add(next);
  }
  if (planned.length === 0) {
    const likely: readonly ToolName[] = SNAPSHOT_WORDS.test(text)
      ? SNAPSHOTS
      : AUTO_PAUSE_WORDS.test(text)
        ? AUTO_PAUSE
        : ADVICE_WORDS.test(text)
          ? ADVICE
          : EVERYDAY;
    for (const tool of likely) chosen.add(tool);
  }
  // Words about a standby may be read by the planner as something else ("is a standby worth it for i-3?").
  if (STANDBY_WORDS.test(text)) for (const tool of STANDBY) chosen.add(tool);
  return TOOLS.filter((tool) => chosen.has(tool.name));
}
