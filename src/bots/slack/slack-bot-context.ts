import type { WebClient } from '@slack/web-api';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { takeInboundEvent } from '../../../db/repositories/inbound-events.ts';
import type { Database } from '../../../db/schema.ts';
import type { ChatRequest } from '../../agent/chat-surface.ts';
import type { Config } from '../../config.ts';
import type { ReplyTarget } from '../../domain/request-context.ts';
import type { ButtonConfirmations } from '../button-confirmations.ts';
import type { ChatRequests } from '../chat-requests.ts';
import { EditBudget } from '../edit-budget.ts';
import { type PlatformDeps, workspaceAllowed } from '../platform.ts';
import { type SlackPlace, SlackSurface, type SlackWire } from './slack-surface.ts';

/**
 * What the listeners of one Slack bot share: the Web API client, the bot's own id, a surface for
 * any place in Slack (all under one edit budget), and people's names.
 */
export class SlackBotContext {
  readonly config: Config;
  readonly chat: ChatRequests;
  readonly confirmations: ButtonConfirmations;
  readonly db: Kysely<Database>;
  private readonly wire: SlackWire;
  private readonly names = new Map<string, string>();

  constructor(
    deps: PlatformDeps,
    readonly client: WebClient,
    /** The bot's own user id ('' when Slack did not say). */
    readonly botUserId: string,
    readonly log: Logger,
    editsPerMinute: number,
  ) {
    this.config = deps.config;
    this.chat = deps.chat;
    this.confirmations = deps.confirmations;
    this.db = deps.db;
    this.wire = {
      client,
      budget: new EditBudget({ limit: editsPerMinute, intervalMs: 60_000 }),
      confirmations: deps.confirmations,
      log,
    };
  }

  surfaceAt(place: SlackPlace): SlackSurface {
    return new SlackSurface(this.wire, place);
  }

  /** The surface of a stored reply target (an operation's progress, a notice's thread). */
  surfaceFor(target: Pick<ReplyTarget, 'channel' | 'workspace' | 'thread'>): SlackSurface {
    return this.surfaceAt({
      ...(target.workspace && { team: target.workspace }),
      channel: target.channel,
      ...(target.thread && { thread: target.thread }),
    });
  }

  /** A person's display name, asked once per user (users:read); their id when Slack will not say. */
  async nameOf(user: string): Promise<string> {
    const known = this.names.get(user);
    if (known) return known;
    const info = await this.client.users.info({ user }).catch(() => undefined);
    const name = info?.user?.profile?.display_name || info?.user?.real_name || info?.user?.name || user;
    this.names.set(user, name);
    return name;
  }

  /** Runs a request in its thread; failures are told in the thread, never thrown at Bolt. */
  serve(request: ChatRequest, place: SlackPlace): Promise<void> {
    return this.chat.answer(request, this.surfaceAt(place), this.config.chat.maxRequestChars);
  }

  /** A delivery seen before (Slack retried it) or from a workspace not allowed: nothing runs. */
  async admit(
    key: string,
    team: string | undefined,
    tell: (text: string) => Promise<unknown>,
  ): Promise<boolean> {
    if (!(await takeInboundEvent(this.db, `slack:${key}`))) {
      this.log.info({ key }, 'redelivered Slack event ignored');
      return false;
    }
    if (!workspaceAllowed(this.config, team)) {
      // Nothing ran and nothing will: a refusal Slack does not take leaves nothing to answer for.
      await tell('This gpuops is not set up for this workspace; nothing was done.').catch(() => undefined);
      return false;
    }
    return true;
  }
}
