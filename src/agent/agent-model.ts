/** The conversation as the agent loop keeps it, independent of any model library. */
export type AgentMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export interface ModelToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface ModelTurn {
  text: string;
  toolCalls: ModelToolCall[];
}

/** One step of thinking: given the conversation so far, answer or ask for tool calls. */
export interface AgentModel {
  readonly name: string;
  next(messages: AgentMessage[]): Promise<ModelTurn>;
}
