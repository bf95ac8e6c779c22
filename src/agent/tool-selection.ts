import { DECLARATIONS, DECLARED } from '../tools/declarations/index.ts';
import { TOOLS } from '../tools/registry.ts';
import type { ToolName } from '../tools/schemas.ts';
import type { Tool } from '../tools/tool.ts';
import { planRequest } from './planner/index.ts';

/**
 * Which tools the model is offered for a request. Every definition is sent on every round trip,
 * so as tools are added the set is chosen per request from the offline planner's reading of it:
 * the tools it would call and their neighbours, never everything at once. A request the planner
 * cannot place gets the tools whose topic it talks about, as their declarations say, or else the
 * everyday set.
 */

/** Always offered: cheap, read-only, and what a model needs to look before it acts. */
const ALWAYS: readonly ToolName[] = ['list_instances', 'instance_status'];

/** For requests the planner cannot place and that are on no tool's topic. */
const EVERYDAY: readonly ToolName[] = ['search_offers', 'deploy', 'pause', 'resume', 'destroy'];

export function selectTools(text: string): Tool[] {
  const chosen = new Set<ToolName>(ALWAYS);
  const offer = (tool: ToolName): void => {
    chosen.add(tool);
    for (const next of DECLARATIONS[tool].neighbours) chosen.add(next);
  };
  const plan = planRequest(text);
  const planned = plan.kind === 'calls' ? plan.calls.map((c) => c.tool) : [];
  for (const tool of planned) offer(tool);
  const onTopic = DECLARED.filter(
    (d) => d.topic?.words.test(text) && (planned.length === 0 || d.topic.evenWhenPlaced),
  );
  for (const declaration of onTopic) offer(declaration.tool);
  if (planned.length === 0 && onTopic.length === 0) for (const tool of EVERYDAY) chosen.add(tool);
  return TOOLS.filter((tool) => chosen.has(tool.name));
}
