import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  addTurn,
  appendToLatestTurn,
  recentTurns,
  setTurnAnswer,
} from '../../db/repositories/conversations.ts';
import type { Database } from '../../db/schema.ts';
import type { Agent, HandledRequest } from '../agent/agent.ts';
import {
  type ChatRequest,
  type ChatSurface,
  contextFor,
  type OutgoingMessage,
} from '../agent/chat-surface.ts';
import { Conversation } from '../agent/conversation.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode } from '../errors.ts';
import type { ProgressView } from '../jobs/queue/progress.ts';
import { redact } from '../redact.ts';
import { failureAnswer } from './failure-answer.ts';
import type { OperationFollower } from './operation-follower.ts';
import { renderProgress } from './render.ts';

/** Turns of a thread read back from the database; the token budget then decides how many are sent. */
const STORED_TURNS_READ = 40;

export interface FollowedRequest extends HandledRequest {
  /** Final views of the operations the request started, resolving as they end. */
  jobs: Promise<ProgressView>[];
}

/**
 * What every chat front-end does with a request: the agent answers it in the conversation of its
 * thread (stored, so any bot process continues it), and each operation it starts is followed in a
 * progress message of its own.
 */
export class ChatRequests {
  constructor(
    readonly agent: Agent,
    readonly follower: OperationFollower,
    private readonly db: Kysely<Database>,
    readonly log: Logger,
    private readonly historyTokens = 2_000,
  ) {}

  /**
   * Handles one request. `conversation` is an in-memory one (the terminal session); without it, a
   * request in a thread continues that thread's stored conversation.
   */
  async handle(
    text: string,
    context: RequestContext,
    surface: ChatSurface,
    conversation?: Conversation,
  ): Promise<FollowedRequest> {
    const thread = conversation ? undefined : await this.storedConversation(context);
    // The turn is stored before the answer, so a reply in the thread meanwhile is already part of
    // the conversation (and a bot process sees the thread as one it takes part in).
    const turnId =
      thread && context.conversation
        ? await addTurn(this.db, context.conversation, {
            user: redact(text),
            assistant: '(answering)',
          }).catch((err: unknown) => {
            this.log.warn(
              { err, conversation: context.conversation },
              'could not store the conversation turn',
            );
            return undefined;
          })
        : undefined;
    const handled = await this.agent.handle(text, context, surface, conversation ?? thread);
    const answer = thread?.lastTurn()?.assistant;
    if (turnId !== undefined && answer !== undefined) {
      await setTurnAnswer(this.db, turnId, answer).catch((err: unknown) =>
        this.log.warn({ err, conversation: context.conversation }, 'could not store the conversation turn'),
      );
    }
    return this.followed(handled, surface, context, conversation);
  }

  /**
   * Answers a platform's request in its place: too long a text gets a clear answer, and a failure
   * is answered there with its code. Throws only when even that answer could not be posted, so the
   * platform's adapter can answer another way (an ephemeral message, the interaction's reply).
   */
  async answer(request: ChatRequest, surface: ChatSurface, maxChars: number): Promise<void> {
    try {
      if (request.text.trim() === '') {
        // A bare mention: the person is there, the request is not yet.
        await surface.post({
          kind: 'reply',
          text: 'Yes? Ask me about GPUs, e.g. "what do I need to serve Llama 3.1 8B?" or "list my instances".',
        });
        return;
      }
      const refusal = tooLong(request.text, maxChars);
      if (refusal) {
        await surface.post(refusal);
        return;
      }
      await this.handle(request.text, contextFor(request), surface);
    } catch (err) {
      this.log.error({ err, platform: request.platform }, 'could not answer a chat request');
      await surface.post(failureAnswer(err)).catch((postErr: unknown) => {
        this.log.warn({ err: postErr }, 'could not post the failure where the request was made');
        throw err;
      });
    }
  }

  /** Runs a call its requester confirmed with a button, and follows what it starts. */
  async runConfirmed(
    call: { tool: string; args: unknown },
    context: RequestContext,
    surface: ChatSurface,
  ): Promise<FollowedRequest> {
    return this.followed(await this.agent.runConfirmed(call, context, surface), surface, context);
  }

  /** Runs the call behind a notice's button as whoever clicked it, and follows what it starts. */
  async runAction(
    call: { tool: string; args: unknown },
    context: RequestContext,
    surface: ChatSurface,
  ): Promise<FollowedRequest> {
    return this.followed(await this.agent.runAction(call, context, surface), surface, context);
  }

  /**
   * Follows what the request started. Each operation's end joins the conversation, so "pause it"
   * afterwards in the thread (or the terminal session) knows which instance "it" is.
   */
  private followed(
    handled: HandledRequest,
    surface: ChatSurface,
    context: RequestContext,
    conversation?: Conversation,
  ): FollowedRequest {
    return {
      ...handled,
      jobs: handled.started.map((job) =>
        // Noted before the end is shown: someone answering the final message at once ("pause it")
        // is read with it.
        this.follower.follow(job, surface, context.replyTo, async (final) => {
          const line = renderProgress(final);
          if (conversation) conversation.note(line);
          else if (context.conversation) {
            await appendToLatestTurn(this.db, context.conversation, line).catch((err: unknown) =>
              this.log.warn({ err }, 'could not add an operation’s end to its conversation'),
            );
          }
        }),
      ),
    };
  }

  private async storedConversation(context: RequestContext): Promise<Conversation | undefined> {
    if (!context.conversation) return undefined;
    const turns = await recentTurns(this.db, context.conversation, STORED_TURNS_READ).catch(
      (err: unknown) => {
        this.log.warn({ err, conversation: context.conversation }, 'could not read the conversation');
        return [];
      },
    );
    return new Conversation(this.historyTokens, turns);
  }
}

/**
 * The answer to a request longer than gpuops reads, or undefined. Checked before the request is
 * echoed anywhere ("asked: …"), so a long text is refused without being repeated.
 */
export function tooLong(text: string, maxChars: number): OutgoingMessage | undefined {
  if (text.length <= maxChars) return undefined;
  return {
    kind: 'error',
    code: ErrorCode.BadInput,
    text: `⚠️ That request is ${text.length} characters long; gpuops reads at most ${maxChars}. Say it in fewer words.`,
  };
}
