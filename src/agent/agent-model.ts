/** The conversation as the agent loop keeps it, independent of any model library. */
export type AgentMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export interface ModelToolCall {
  id: string;
  name: string;
  /** As the model sent them; checked against the tool's schema before anything runs. */
  args: Record<string, unknown>;
  /** Set when the arguments could not be read at all (broken JSON): `raw` as sent, and why. */
  malformed?: { raw: string; error: string };
}

export interface ModelTurn {
  text: string;
  toolCalls: ModelToolCall[];
  /** Tokens this turn cost, when the model reports them (the offline planner does not). */
  usage?: TokenUsage;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Who is asking and where: what a model is told about the conversation it is in. */
export interface TurnContext {
  user: string;
  channel: string;
  now: Date;
}

/** One step of thinking: given the conversation so far, answer or ask for tool calls. */
export interface AgentModel {
  readonly name: string;
  next(messages: AgentMessage[], context?: TurnContext): Promise<ModelTurn>;
}
