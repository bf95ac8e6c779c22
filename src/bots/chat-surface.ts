import type { ProgressView } from '../jobs/progress.ts';

/**
 * The one interface every chat front-end implements (terminal, Slack, Discord). Nothing
 * platform-specific crosses it: the agent and the job watcher speak only this.
 */
export interface MessageRef {
  id: string;
}

export interface OutgoingMessage {
  text: string;
  kind: 'reply' | 'error' | 'progress';
  /** Set on progress messages, so rich surfaces (and JSON transcripts) can render the structure. */
  progress?: ProgressView;
  /** Structured payload behind a reply (tool results), for JSON transcripts. */
  data?: unknown;
  /** Stable error code on error messages. */
  code?: string;
}

export interface ConfirmOptions {
  mustAsk?: boolean;
}

export interface ChatSurface {
  readonly name: string;
  post(message: OutgoingMessage): Promise<MessageRef>;
  /** Edits a message in place (surfaces that cannot edit post a new one). */
  update(ref: MessageRef, message: OutgoingMessage): Promise<void>;
  /**
   * Asks the requester to confirm a costly or irreversible action; false when declined or
   * unanswerable. `mustAsk`: the user's own words did not name what it acts on (the model chose
   * it), so a standing "yes to everything" (`--yes`) does not cover it.
   */
  confirm(question: string, options?: ConfirmOptions): Promise<boolean>;
  /** Sees each tool call before it runs, for transcripts; optional. */
  toolCall?(call: { tool: string; args: unknown }): void;
}
