import type { RequestContext } from '../domain/request-context.ts';
import type { ProgressView } from '../jobs/queue/progress.ts';

/**
 * The seam between the agent and every chat front-end (terminal, Slack, Discord). Nothing
 * platform-specific crosses it: adapters in src/bots turn their platform's events into a
 * ChatRequest and implement ChatSurface for the place the request came from.
 */

/** One request as a platform delivered it, already decoded to plain text by its adapter. */
export interface ChatRequest {
  /** `terminal`, `slack`, `discord`. */
  platform: string;
  /** Slack team or Discord guild; absent for the terminal and for direct messages on Discord. */
  workspace?: string;
  /** The channel the request was made in (for a thread, the channel the thread belongs to). */
  channel: string;
  /** The thread the conversation lives in (a Slack thread's ts, a Discord thread or DM channel id). */
  thread?: string;
  user: { id: string; name: string };
  text: string;
}

/** The channel instances belong to: workspace-qualified on chat platforms (`slack:T1:C1`). */
export function qualifiedChannel(at: Pick<ChatRequest, 'platform' | 'workspace' | 'channel'>): string {
  return at.platform === 'terminal' ? at.channel : `${at.platform}:${at.workspace ?? 'direct'}:${at.channel}`;
}

/** The key a thread's conversation is stored under. */
export function conversationKey(
  at: Pick<ChatRequest, 'platform' | 'workspace' | 'channel'>,
  thread: string,
): string {
  return `${qualifiedChannel(at)}:${thread}`;
}

/**
 * The context tools run in for a request: instances belong to the workspace-qualified channel,
 * the requester is the platform-qualified user, and the thread is its own conversation.
 */
export function contextFor(request: ChatRequest): RequestContext {
  if (request.platform === 'terminal') {
    return {
      user: request.user.id,
      userName: request.user.name,
      platform: 'terminal',
      channel: request.channel,
      replyTo: { surface: 'terminal', channel: request.channel },
    };
  }
  const channel = qualifiedChannel(request);
  return {
    user: `${request.platform}:${request.workspace ?? 'direct'}:${request.user.id}`,
    userName: request.user.name,
    platform: request.platform,
    channel,
    ...(request.thread && { thread: request.thread, conversation: conversationKey(request, request.thread) }),
    replyTo: {
      surface: request.platform,
      channel: request.channel,
      ...(request.workspace && { workspace: request.workspace }),
      ...(request.thread && { thread: request.thread }),
    },
  };
}

export interface MessageRef {
  id: string;
}

/** A button under a message; `value` travels back with the click. */
export interface ChatAction {
  id: string;
  label: string;
  style?: 'primary' | 'danger';
  value: string;
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
  /** `requester`: shown only to the person who asked (Slack ephemeral, Discord ephemeral reply). */
  visibility?: 'public' | 'requester';
  actions?: ChatAction[];
}

export interface ConfirmOptions {
  /**
   * The user's own words did not name what the call acts on (the model chose it), so a standing
   * "yes to everything" (`--yes`) does not cover it.
   */
  mustAsk?: boolean;
  /** The exact call to confirm, as the schema accepted it, and whose request it is. */
  call?: { tool: string; args: Record<string, unknown>; context: RequestContext };
}

/**
 * true: confirmed now; false: declined or unanswerable; `pending`: the question was stored and
 * posted with buttons, and the call runs when (and if) the requester confirms.
 */
export type ConfirmAnswer = boolean | 'pending';

export interface ChatSurface {
  readonly name: string;
  post(message: OutgoingMessage): Promise<MessageRef>;
  /**
   * Edits a message in place (surfaces that cannot edit post a new one). With `newest`, a surface
   * that makes the edit wait its turn (a workspace's edit budget) calls it when the turn comes and
   * sends what it returns instead of `message`, so a version that arrived meanwhile goes out in the
   * same edit; a surface that sends at once may ignore it.
   */
  update(ref: MessageRef, message: OutgoingMessage, newest?: () => OutgoingMessage): Promise<void>;
  /** Asks the requester to confirm a costly or irreversible action. */
  confirm(question: string, options?: ConfirmOptions): Promise<ConfirmAnswer>;
  /** Sees each tool call before it runs, for transcripts; optional. */
  toolCall?(call: { tool: string; args: unknown }): void;
}
