import {
  App,
  type BlockButtonAction,
  type Logger as BoltLogger,
  LogLevel,
  type Receiver,
  SocketModeReceiver,
} from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import { hasConversation } from '../../../db/repositories/conversations.ts';
import { takeInboundEvent } from '../../../db/repositories/inbound-events.ts';
import { type ChatRequest, contextFor, conversationKey, qualifiedChannel } from '../../agent/chat-surface.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { CANCEL_ACTION, CONFIRM_ACTION, closedText } from '../button-confirmations.ts';
import { tooLong } from '../chat-requests.ts';
import { EditBudget } from '../edit-budget.ts';
import { failureAnswer } from '../failure-answer.ts';
import {
  actedNoticeMessage,
  decideNoticeClick,
  NOTICE_ACTION,
  NOTICE_ACTION_ID,
  noticeMessage,
} from '../notice-actions.ts';
import { type PlatformDeps, type RunningPlatform, workspaceAllowed } from '../platform.ts';
import { EarlyAckReceiver } from './early-ack-receiver.ts';
import { decodeSlackText, escapeSlackText } from './slack-format.ts';
import { type SlackPlace, SlackSurface, type SlackWire } from './slack-surface.ts';

/** chat.update is Tier 3 (50+ a minute per workspace); gpuops keeps well under it for all its messages. */
const EDITS_PER_MINUTE_PER_WORKSPACE = 36;
/** How often expired confirmations lose their buttons. */
const EXPIRY_SWEEP_MS = 30_000;
const CALL_TIMEOUT_MS = 10_000;

export interface SlackBotOptions {
  /** Socket Mode's keep-alive ping timeout, which is also its reconnect delay (default 5 s). */
  socketPingTimeoutMs?: number;
  /** Edits per minute per workspace; default 36. */
  editsPerMinute?: number;
}

/**
 * gpuops in Slack, through Bolt: `/gpu <request>`, a mention in a channel, a direct message, and
 * replies in a thread the bot answered. Socket Mode when SLACK_APP_TOKEN is set; otherwise HTTP on
 * the process's server at /slack/events, with Slack's request signing checked by Bolt. Every
 * command, event and click is acknowledged first; the answer follows in the request's thread.
 */
export async function startSlackBot(
  deps: PlatformDeps,
  options: SlackBotOptions = {},
): Promise<RunningPlatform> {
  const { config, chat, confirmations, db } = deps;
  const slack = config.slack;
  if (!slack) throw new GpuopsError(ErrorCode.ConfigInvalid, 'SLACK_BOT_TOKEN is not set.');
  const log = deps.log.child({ platform: 'slack' });
  const logger = boltLogger(log);
  const clientOptions: WebClientOptions = {
    ...(slack.apiUrl && { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` }),
    timeout: CALL_TIMEOUT_MS,
    retryConfig: { retries: 4, factor: 2, minTimeout: 500, maxTimeout: 10_000 },
    logger,
  };

  const identity = await new WebClient(slack.botToken, clientOptions).auth.test().catch((err: unknown) => {
    throw new GpuopsError(
      ErrorCode.ConfigInvalid,
      `Slack refused SLACK_BOT_TOKEN (${slackError(err)}). Copy the Bot User OAuth Token (xoxb-…) from your app's "OAuth & Permissions" page.`,
      { cause: err },
    );
  });
  const botUserId = String(identity.user_id ?? '');

  let receiver: Receiver;
  let socketMode = false;
  if (slack.appToken) {
    socketMode = true;
    receiver = new SocketModeReceiver({
      appToken: slack.appToken,
      logger,
      installerOptions: { clientOptions },
      ...(options.socketPingTimeoutMs && { clientPingTimeout: options.socketPingTimeoutMs }),
    });
  } else {
    if (!slack.signingSecret) {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'Slack over HTTP needs SLACK_SIGNING_SECRET (your app\'s "Basic Information" page), or set SLACK_APP_TOKEN to use Socket Mode.',
      );
    }
    if (!deps.mountHttp) {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'Slack over HTTP needs the HTTP server of `gpuops serve`.',
      );
    }
    const http = new EarlyAckReceiver(slack.signingSecret, log);
    deps.mountHttp('/slack/events', http.requestListener);
    receiver = http;
  }
  const app = new App({
    token: slack.botToken,
    botId: String(identity.bot_id ?? ''),
    botUserId,
    receiver,
    logger,
    clientOptions,
  });
  const wire: SlackWire = {
    client: app.client,
    budget: new EditBudget({
      limit: options.editsPerMinute ?? EDITS_PER_MINUTE_PER_WORKSPACE,
      intervalMs: 60_000,
    }),
    confirmations,
    log,
  };
  const surfaceAt = (place: SlackPlace) => new SlackSurface(wire, place);
  const names = new Map<string, string>();

  /** A person's display name, asked once per user (users:read); their id when Slack will not say. */
  async function nameOf(user: string): Promise<string> {
    const known = names.get(user);
    if (known) return known;
    const info = await app.client.users.info({ user }).catch(() => undefined);
    const name = info?.user?.profile?.display_name || info?.user?.real_name || info?.user?.name || user;
    names.set(user, name);
    return name;
  }

  /** Runs a request in its thread; failures are told in the thread, never thrown at Bolt. */
  const serve = (request: ChatRequest, place: Parameters<typeof surfaceAt>[0]) =>
    chat.answer(request, surfaceAt(place), config.chat.maxRequestChars);

  /** A delivery seen before (Slack retried it) or from a workspace not allowed: nothing runs. */
  async function admit(key: string, team: string | undefined, tell: (text: string) => Promise<unknown>) {
    if (!(await takeInboundEvent(db, `slack:${key}`))) {
      log.info({ key }, 'redelivered Slack event ignored');
      return false;
    }
    if (!workspaceAllowed(config, team)) {
      await tell('This gpuops is not set up for this workspace; nothing was done.').catch(() => undefined);
      return false;
    }
    return true;
  }

  app.command('/gpu', async ({ command, ack, respond }) => {
    const text = decodeSlackText(command.text ?? '', { botUserId });
    await ack();
    if (text === '') {
      await respond({
        response_type: 'ephemeral',
        text: 'Tell me what you need after /gpu, e.g. `/gpu what do I need to serve Llama 3.1 8B?` or `/gpu list my instances`.',
      }).catch((err: unknown) => log.warn({ err }, 'could not answer an empty /gpu'));
      return;
    }
    const tell = (t: string) => respond({ response_type: 'ephemeral', text: t });
    void (async () => {
      if (!(await admit(`command:${command.team_id}:${command.trigger_id}`, command.team_id, tell))) return;
      // Refused before it is echoed: the request is posted as "asked: …" only once it is read.
      const refusal = tooLong(text, config.chat.maxRequestChars);
      if (refusal) {
        await tell(refusal.text);
        return;
      }
      // A slash command leaves nothing in the channel: the request is posted so its answer has a thread.
      const parent = await app.client.chat
        .postMessage({
          channel: command.channel_id,
          text: `<@${command.user_id}> asked: ${escapeSlackText(text)}`,
          unfurl_links: false,
        })
        .catch(async (err: unknown) => {
          await tell(
            `I could not post in this channel (${slackError(err)}). Invite me with \`/invite @gpuops\`, or message me directly.`,
          ).catch(() => undefined);
          return undefined;
        });
      if (!parent?.ts) return;
      const place: SlackPlace = {
        team: command.team_id,
        channel: command.channel_id,
        thread: parent.ts,
        requester: command.user_id,
      };
      await serve(
        {
          platform: 'slack',
          workspace: command.team_id,
          channel: command.channel_id,
          thread: parent.ts,
          user: { id: command.user_id, name: command.user_name || (await nameOf(command.user_id)) },
          text,
        },
        place,
      );
    })().catch(async (err: unknown) => {
      log.error({ err }, 'could not answer a Slack command');
      await tell(failureAnswer(err).text).catch((tellErr: unknown) =>
        log.warn({ err: tellErr }, 'could not tell the requester a Slack command failed'),
      );
    });
  });

  /** A message addressed to the bot: a mention, a direct message, or a reply in its thread. */
  async function onMessage(event: SlackMessageEvent, team: string | undefined): Promise<void> {
    if (event.bot_id || !event.user || event.user === botUserId) return;
    const thread = event.thread_ts ?? event.ts;
    const tell = (t: string) =>
      app.client.chat.postEphemeral({
        channel: event.channel,
        user: String(event.user),
        text: t,
        thread_ts: thread,
      });
    // A mention and the message it is in arrive as two events: the message's key takes it once.
    if (!(await admit(`message:${event.channel}:${event.ts}`, team, tell))) return;
    const text = decodeSlackText(event.text ?? '', { botUserId });
    const place: SlackPlace = {
      ...(team && { team }),
      channel: event.channel,
      thread,
      requester: event.user,
    };
    await serve(
      {
        platform: 'slack',
        ...(team && { workspace: team }),
        channel: event.channel,
        thread,
        user: { id: event.user, name: await nameOf(event.user) },
        text,
      },
      place,
    );
  }

  /** Tells the sender of a message privately, in its thread, that answering it failed. */
  async function messageFailed(event: SlackMessageEvent, err: unknown, what: string): Promise<void> {
    log.error({ err }, `could not answer a Slack ${what}`);
    if (!event.user) return;
    await app.client.chat
      .postEphemeral({
        channel: event.channel,
        user: event.user,
        text: failureAnswer(err).text,
        thread_ts: event.thread_ts ?? event.ts,
      })
      .catch((tellErr: unknown) =>
        log.warn({ err: tellErr }, `could not tell the sender a Slack ${what} failed`),
      );
  }

  app.event('app_mention', async ({ event, body }) => {
    const mention = event as SlackMessageEvent;
    void onMessage(mention, body.team_id ?? mention.team).catch((err: unknown) =>
      messageFailed(mention, err, 'mention'),
    );
  });

  app.message(async ({ message, body }) => {
    const event = message as SlackMessageEvent;
    // Edits, joins and bots' posts carry a subtype; only people's new messages are requests.
    if (event.subtype !== undefined) return;
    const team = (body as { team_id?: string }).team_id ?? event.team;
    const mentionsBot = botUserId !== '' && (event.text ?? '').includes(`<@${botUserId}`);
    if (event.channel_type !== 'im') {
      // In channels the bot answers mentions (app_mention) and replies in threads it is part of.
      if (mentionsBot || !event.thread_ts) return;
      const conversation = conversationKey(
        { platform: 'slack', workspace: team, channel: event.channel },
        event.thread_ts,
      );
      if (!(await hasConversation(db, conversation))) return;
    }
    void onMessage(event, team).catch((err: unknown) => messageFailed(event, err, 'message'));
  });

  app.action(
    { type: 'block_actions', action_id: new RegExp(`^(${CONFIRM_ACTION}|${CANCEL_ACTION})$`) },
    async ({ ack, body, action }) => {
      await ack();
      void onClick(body as BlockButtonAction, action as BlockButtonAction['actions'][number]).catch(
        (err: unknown) => clickFailed(body as BlockButtonAction, err),
      );
    },
  );
  app.action({ type: 'block_actions', action_id: NOTICE_ACTION_ID }, async ({ ack, body, action }) => {
    await ack();
    void onNoticeClick(body as BlockButtonAction, action as BlockButtonAction['actions'][number]).catch(
      (err: unknown) => clickFailed(body as BlockButtonAction, err),
    );
  });
  // Any other button (an old message, a forged payload): acknowledged, explained, nothing runs.
  app.action(
    {
      type: 'block_actions',
      action_id: new RegExp(`^(?!${CONFIRM_ACTION}$|${CANCEL_ACTION}$|${NOTICE_ACTION}\\d{1,2}$)`),
    },
    async ({ ack, body }) => {
      await ack();
      const b = body as BlockButtonAction;
      if (b.channel?.id) {
        await app.client.chat
          .postEphemeral({
            channel: b.channel.id,
            user: b.user.id,
            text: 'That button is not one of gpuops’s; nothing was done.',
          })
          .catch(() => undefined);
      }
    },
  );

  /**
   * Where a click came from and how to answer the clicker privately (in `thread`); undefined when
   * it came from outside a channel, or from a workspace not allowed (the clicker is told).
   */
  async function clickPlace(body: BlockButtonAction, thread: string | undefined) {
    const team = body.team?.id ?? body.user.team_id;
    const channel = body.channel?.id;
    if (!channel) return undefined;
    const tell = (text: string) =>
      app.client.chat.postEphemeral({
        channel,
        user: body.user.id,
        text,
        ...(thread && { thread_ts: thread }),
      });
    if (!workspaceAllowed(config, team)) {
      await tell('This gpuops is not set up for this workspace; nothing was done.');
      return undefined;
    }
    return { team, channel, tell };
  }

  /** Tells whoever clicked, privately, that their click failed. */
  async function clickFailed(body: BlockButtonAction, err: unknown): Promise<void> {
    log.error({ err }, 'could not handle a Slack button');
    const channel = body.channel?.id;
    const thread = body.message?.thread_ts ?? body.message?.ts;
    if (!channel) return;
    await app.client.chat
      .postEphemeral({
        channel,
        user: body.user.id,
        text: failureAnswer(err).text,
        ...(thread && { thread_ts: thread }),
      })
      .catch((tellErr: unknown) => log.warn({ err: tellErr }, 'could not tell the clicker a button failed'));
  }

  async function onClick(
    body: BlockButtonAction,
    action: BlockButtonAction['actions'][number],
  ): Promise<void> {
    const where = await clickPlace(body, body.message?.thread_ts);
    if (!where) return;
    const { team, channel, tell } = where;
    const outcome = await confirmations.click({
      action: action.action_id,
      confirmationId: String(action.value ?? ''),
      user: `slack:${team ?? 'direct'}:${body.user.id}`,
      userName: body.user.name ?? (await nameOf(body.user.id)),
      channel: qualifiedChannel({ platform: 'slack', ...(team && { workspace: team }), channel }),
    });
    if (outcome.kind === 'unknown' || outcome.kind === 'elsewhere' || outcome.kind === 'not-requester') {
      await tell(outcome.text);
      return;
    }
    const question = outcome.row.message;
    const place: SlackPlace = {
      ...(team && { team }),
      channel,
      ...(question?.thread && { thread: question.thread }),
      requester: body.user.id,
    };
    const surface = surfaceAt(place);
    if (outcome.kind === 'closed') {
      // Expired: the buttons say so. Decided already (a double click, another process): the
      // message shows that decision; only the clicker is told.
      if (outcome.row.state === 'expired' || outcome.row.state === 'pending') {
        if (question?.message) {
          await surface
            .update({ id: question.message }, { kind: 'reply', text: outcome.text })
            .catch(() => undefined);
        }
      }
      await tell(outcome.text);
      return;
    }
    if (question?.message) {
      await surface
        .update({ id: question.message }, { kind: 'reply', text: `${outcome.row.question}\n${outcome.text}` })
        .catch(() => undefined);
    }
    if (outcome.kind === 'confirmed') {
      await chat.runConfirmed({ tool: outcome.row.tool, args: outcome.row.args }, outcome.context, surface);
    }
  }

  /** A click on a notice's button: runs its stored call once, as whoever clicked, in its thread. */
  async function onNoticeClick(
    body: BlockButtonAction,
    action: BlockButtonAction['actions'][number],
  ): Promise<void> {
    const thread = body.message?.thread_ts ?? body.message?.ts;
    const where = await clickPlace(body, thread);
    if (!where) return;
    const { team, channel, tell } = where;
    const userName = body.user.name ?? (await nameOf(body.user.id));
    const at = { platform: 'slack', ...(team && { workspace: team }), channel } as const;
    const outcome = await decideNoticeClick(db, {
      value: String(action.value ?? ''),
      channel: qualifiedChannel(at),
      user: `slack:${team ?? 'direct'}:${body.user.id}`,
      userName,
    });
    if (outcome.kind !== 'run') {
      await tell(outcome.text);
      return;
    }
    const surface = surfaceAt({
      ...(team && { team }),
      channel,
      ...(thread && { thread }),
      requester: body.user.id,
    });
    if (body.message?.ts) {
      await surface
        .update({ id: body.message.ts }, actedNoticeMessage(outcome.notice, outcome.text))
        .catch(() => undefined);
    }
    const context = contextFor({
      ...at,
      ...(thread && { thread }),
      user: { id: body.user.id, name: userName },
      text: '',
    });
    await chat.runAction(outcome.action, context, surface);
  }

  const sweeper = setInterval(() => {
    void (async () => {
      for (const row of await confirmations.expireDue('slack')) {
        const at = row.message;
        if (!at?.message) continue;
        await surfaceAt({ ...(at.workspace && { team: at.workspace }), channel: at.channel })
          .update({ id: at.message }, { kind: 'reply', text: closedText(row) })
          .catch((err: unknown) => log.warn({ err }, 'could not mark a confirmation expired'));
      }
    })();
  }, EXPIRY_SWEEP_MS);
  sweeper.unref();

  app.error(async (err) => {
    log.warn({ err }, 'Slack listener error');
  });

  // Resolves once Slack took the post: the feed marks the notice delivered only then.
  const stopNotices = deps.notices?.subscribePlatform('slack', (notice) => {
    const at = notice.reply_to;
    const channel = at?.channel ?? notice.channel.split(':').at(-1) ?? '';
    return surfaceAt({
      ...(at?.workspace && { team: at.workspace }),
      channel,
      ...(at?.thread && { thread: at.thread }),
    }).post(noticeMessage(notice));
  });

  if (socketMode) await app.start();
  await chat.follower.adoptOrphans({
    platform: 'slack',
    surfaceFor: (replyTo) =>
      surfaceAt({
        ...(replyTo.workspace && { team: replyTo.workspace }),
        channel: replyTo.channel,
        ...(replyTo.thread && { thread: replyTo.thread }),
      }),
  });
  log.info(
    { mode: socketMode ? 'socket' : 'http', team: identity.team_id, bot: botUserId },
    'Slack bot started',
  );

  return {
    name: 'slack',
    async check() {
      const who = await app.client.auth.test();
      return `${socketMode ? 'Socket Mode' : 'HTTP at /slack/events'}; team ${who.team ?? who.team_id}`;
    },
    async close() {
      clearInterval(sweeper);
      stopNotices?.();
      if (socketMode) await app.stop().catch(() => undefined);
    },
  };
}

/** The fields of a Slack message or app_mention event gpuops reads. */
interface SlackMessageEvent {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  team?: string;
}

function slackError(err: unknown): string {
  const data = (err as { data?: { error?: string } }).data;
  return data?.error ?? (err instanceof Error ? err.message : String(err));
}

/** Bolt's and the Web API's logs, into gpuops's: their info is chatter, so it goes to debug. */
function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');
  return {
    debug: (...msg) => log.debug(text(msg)),
    info: (...msg) => log.debug(text(msg)),
    warn: (...msg) => log.warn(text(msg)),
    error: (...msg) => log.error(text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
