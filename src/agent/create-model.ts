import type { Config } from '../config.ts';
import { llmConfigured } from '../config.ts';
import type { AgentModel } from './agent-model.ts';
import { OfflineModel } from './offline-model.ts';

/** The configured model: the LLM when an endpoint is set, else the offline planner. */
export async function createModel(config: Config): Promise<AgentModel> {
  if (!llmConfigured(config)) return new OfflineModel();
  // Loaded on demand: LangChain and the tool registry are heavy, and offline runs never need them.
  const { LlmModel } = await import('./llm-model.ts');
  return new LlmModel(config);
}
