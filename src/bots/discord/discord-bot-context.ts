import { type Client, Routes } from 'discord.js';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../db/schema.ts';
import type { ChatRequest } from '../../agent/chat-surface.ts';
import type { Config } from '../../config.ts';
import type { ReplyTarget } from '../../domain/request-context.ts';
import type { ButtonConfirmations } from '../button-confirmations.ts';
import type { ChatRequests } from '../chat-requests.ts';
import { EditBudget } from '../edit-budget.ts';
import type { PlatformDeps } from '../platform.ts';
import { type DiscordPlace, DiscordSurface, type DiscordWire } from './discord-surface.ts';

/** Discord allows 5 edits per 5 s per channel; gpuops keeps every channel under it. */
const EDITS_PER_5S_PER_CHANNEL = 4;

/** Where a request was made, as `placeFor` reads it. */
export interface DiscordRequestAt {
  guild?: string;
  /** Where it was said: a channel, a thread or a direct message. */
  channel: string;
  /** The channel it belongs to (a thread's parent). */
  parent: string;
  direct: boolean;
  inThread: boolean;
  /** The message a thread for the answer is made from. */
  startFrom: string;
  title: string;
}

/**
 * What the listeners of one Discord bot share: the client, a surface for any place in Discord
 * (all under one edit budget), and where a request's answer goes.
 */
export class DiscordBotContext {
  readonly config: Config;
  readonly chat: ChatRequests;
  readonly confirmations: ButtonConfirmations;
  readonly db: Kysely<Database>;
  private readonly wire: DiscordWire;

  constructor(
    deps: PlatformDeps,
    readonly client: Client,
    readonly log: Logger,
  ) {
    this.config = deps.config;
    this.chat = deps.chat;
    this.confirmations = deps.confirmations;
    this.db = deps.db;
    this.wire = {
      rest: client.rest,
      budget: new EditBudget({ limit: EDITS_PER_5S_PER_CHANNEL, intervalMs: 5_000 }),
      confirmations: deps.confirmations,
      log,
    };
  }

  surfaceAt(place: DiscordPlace): DiscordSurface {
    return new DiscordSurface(this.wire, place);
  }

  /** The surface of a stored reply target (an operation's progress, a notice's thread). */
  surfaceFor(target: Pick<ReplyTarget, 'channel' | 'workspace' | 'thread'>): DiscordSurface {
    return this.surfaceAt({
      ...(target.workspace && { guild: target.workspace }),
      channel: target.channel,
      postIn: target.thread ?? target.channel,
      ...(target.thread && { thread: target.thread }),
    });
  }

  serve(request: ChatRequest, place: DiscordPlace): Promise<void> {
    return this.chat.answer(request, this.surfaceAt(place), this.config.chat.maxRequestChars);
  }

  /**
   * Where a request's answer goes: in a direct message or a thread, right there; in a channel, a
   * thread made from the request's message, or replies to it where threads are not allowed.
   */
  async placeFor(at: DiscordRequestAt): Promise<{ place: DiscordPlace; thread: string | undefined }> {
    const base = { ...(at.guild && { guild: at.guild }), channel: at.parent };
    if (at.direct || at.inThread) {
      return { place: { ...base, postIn: at.channel, thread: at.channel }, thread: at.channel };
    }
    const thread = await this.threadFrom(at.channel, at.startFrom, at.title || 'gpuops');
    return thread
      ? { place: { ...base, postIn: thread, thread }, thread }
      : { place: { ...base, postIn: at.channel, replyTo: at.startFrom }, thread: undefined };
  }

  /** Makes a thread from `messageId` for the answer; undefined where threads are not allowed. */
  private async threadFrom(channel: string, messageId: string, title: string): Promise<string | undefined> {
    try {
      const thread = (await this.client.rest.post(Routes.threads(channel, messageId), {
        body: { name: title.slice(0, 90) || 'gpuops', auto_archive_duration: 1440 },
      })) as { id: string };
      return thread.id;
    } catch (err) {
      this.log.info({ err, channel }, 'no thread for the answer; replying instead');
      return undefined;
    }
  }
}
