import type { AgentMessage, AgentModel, ModelTurn } from './agent-model.ts';
import { helpText } from './help.ts';
import { planRequest } from './planner/index.ts';
import { resolveInstanceReference } from './references.ts';

/**
 * The model used when no LLM is configured: the offline planner decides the tool calls from the
 * user's words in one step; once the tools have answered, there is nothing more to add.
 */
export class OfflineModel implements AgentModel {
  readonly name = 'offline-planner';
  private counter = 0;

  async next(messages: AgentMessage[]): Promise<ModelTurn> {
    const last = messages[messages.length - 1];
    if (last?.role !== 'user') return { text: '', toolCalls: [] };
    // "pause it" after a deploy in the same thread: the instance that turn was about.
    const reference = resolveInstanceReference(last.content, messages.slice(0, -1));
    if (reference.kind === 'ambiguous') return { text: reference.question, toolCalls: [] };
    const plan = planRequest(reference.kind === 'resolved' ? reference.text : last.content);
    switch (plan.kind) {
      case 'calls':
        return {
          text: '',
          toolCalls: plan.calls.map((call) => ({
            id: `call_${++this.counter}`,
            name: call.tool,
            args: call.args,
          })),
        };
      case 'help':
        return { text: helpText(), toolCalls: [] };
      case 'clarify':
        return { text: plan.message, toolCalls: [] };
      case 'unknown':
        return { text: plan.message, toolCalls: [] };
    }
  }
}
