import { randomUUID } from 'node:crypto';
import { startChatPlatforms } from '../../../src/bots/chat-platforms.ts';
import type { RunningPlatform } from '../../../src/bots/platform.ts';
import type { Simulator } from '../../../src/cloud/sim/index.ts';
import { type HttpServer, prepareHttpServer } from '../../../src/http/server.ts';
import type { Role } from '../../../src/runtime.ts';
import { startTestGpuops, type TestGpuops } from '../gpuops-harness.ts';
import { signSlackRequest, slackFormBody } from './slack-signing.ts';
import {
  eventCallback,
  type SlackSocketModeStandIn,
  slashCommand,
  startSlackSocketMode,
} from './slack-socket-mode.ts';
import { type SlackWebApiStandIn, type StoredSlackMessage, startSlackWebApi } from './slack-web-api.ts';

export const SIGNING_SECRET = 'stand-in-signing-secret';

export interface SlackStandIns {
  api: SlackWebApiStandIn;
  socket: SlackSocketModeStandIn;
  close(): Promise<void>;
}

export async function startSlackStandIns(users: Record<string, string> = {}): Promise<SlackStandIns> {
  const socket = await startSlackSocketMode();
  const api = await startSlackWebApi({ socketModeUrl: () => socket.url(), users });
  return {
    api,
    socket,
    async close() {
      await socket.close(200);
      await api.close();
    },
  };
}

export interface SlackGpuops {
  g: TestGpuops;
  http: HttpServer;
  platforms: RunningPlatform[];
  /** Stops the bot (platforms, HTTP, runtime) without touching the stand-ins. */
  close(): Promise<void>;
}

/** A gpuops process with Slack on: Socket Mode when `mode` is `socket`, else HTTP on its server. */
export async function startSlackGpuops(
  slack: SlackStandIns,
  opts: {
    mode: 'socket' | 'http';
    role?: Role;
    env?: Record<string, string>;
    sim?: Simulator;
    share?: TestGpuops;
  },
): Promise<SlackGpuops> {
  const shared = opts.share?.env;
  const g = await startTestGpuops({
    db: 'postgres',
    queue: 'postgres',
    ...(opts.role && { role: opts.role }),
    ...((opts.sim ?? opts.share?.sim) && { sim: opts.sim ?? opts.share?.sim }),
    env: {
      ...(shared && {
        DATABASE_URL: String(shared.DATABASE_URL),
        GPUOPS_QUEUE_PREFIX: String(shared.GPUOPS_QUEUE_PREFIX),
        GPUOPS_SSH_KEY_PATH: `${shared.GPUOPS_DATA_DIR}/id_ed25519`,
      }),
      SLACK_BOT_TOKEN: slack.api.options.botToken,
      SLACK_API_URL: slack.api.url,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ...(opts.mode === 'socket' && { SLACK_APP_TOKEN: slack.api.options.appToken }),
      ...opts.env,
    },
  });
  // As `gpuops serve`: every path mounted, then the port opened.
  const prepared = await prepareHttpServer(g.runtime, { port: 0, host: '127.0.0.1' });
  let platforms: RunningPlatform[] = [];
  let http: HttpServer;
  try {
    platforms = await startChatPlatforms({
      config: g.runtime.config,
      chat: g.runtime.chat!,
      db: g.runtime.database.db,
      log: g.runtime.log,
      ...(g.runtime.notices && { notices: g.runtime.notices }),
      mountHttp: (path, listener) => prepared.mountRaw(path, listener),
    });
    http = await prepared.listen();
  } catch (err) {
    await Promise.allSettled(platforms.map((p) => p.close()));
    await prepared.close();
    await g.close();
    throw err;
  }
  return {
    g,
    http,
    platforms,
    async close() {
      await Promise.allSettled(platforms.map((p) => p.close()));
      await http.close();
      await g.close();
    },
  };
}

/** An app_mention event of `text` by `user` in `channel`, in a thread when `thread` is given. */
export function mentionEvent(
  text: string,
  opts: { user?: string; channel?: string; thread?: string; ts?: string; teamId?: string } = {},
): Record<string, unknown> {
  const ts = opts.ts ?? freshTs();
  return eventCallback(
    {
      type: 'app_mention',
      user: opts.user ?? 'U0ALICE',
      text: `<@U0BOT> ${text}`,
      ts,
      channel: opts.channel ?? 'C0CHAN',
      ...(opts.thread && { thread_ts: opts.thread }),
      team: opts.teamId ?? 'T0TEAM',
    },
    { ...(opts.teamId && { teamId: opts.teamId }) },
  );
}

let tsSeq = 0;
export function freshTs(): string {
  tsSeq += 1;
  return `1800000000.${String(tsSeq).padStart(6, '0')}`;
}

/** A block_actions payload: `user` clicked `actionId` (value `value`) on message `ts`. */
export function buttonClick(opts: {
  actionId: string;
  value: string;
  user: string;
  userName?: string;
  channel?: string;
  messageTs: string;
  threadTs?: string;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'stand-in' },
    user: {
      id: opts.user,
      username: opts.userName ?? opts.user.toLowerCase(),
      name: opts.userName ?? opts.user.toLowerCase(),
      team_id: 'T0TEAM',
    },
    api_app_id: 'A0APP',
    token: 'unused',
    trigger_id: `${randomUUID()}`,
    channel: { id: opts.channel ?? 'C0CHAN', name: 'gpu-ops' },
    container: { type: 'message', message_ts: opts.messageTs, channel_id: opts.channel ?? 'C0CHAN' },
    message: {
      type: 'message',
      ts: opts.messageTs,
      ...(opts.threadTs && { thread_ts: opts.threadTs }),
      text: '',
    },
    actions: [
      {
        type: 'button',
        action_id: opts.actionId,
        block_id: 'b1',
        value: opts.value,
        text: { type: 'plain_text', text: 'x' },
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** POSTs a signed request to the bot's /slack/events, as Slack does over HTTP. */
export async function postSigned(
  http: HttpServer,
  body: string,
  opts: { contentType?: string; timestamp?: number; secret?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${http.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      ...signSlackRequest(opts.secret ?? SIGNING_SECRET, body, opts.timestamp),
      ...opts.headers,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}

export function slashCommandBody(
  text: string,
  opts: { user?: string; userName?: string; channel?: string; responseUrl?: string } = {},
) {
  return slackFormBody({
    ...slashCommand({
      command: '/gpu',
      text,
      userId: opts.user ?? 'U0ALICE',
      channelId: opts.channel ?? 'C0CHAN',
      ...(opts.responseUrl && { responseUrl: opts.responseUrl }),
    }),
    user_name: opts.userName ?? 'alice',
  });
}

/** Waits until `find` returns something, polling; throws with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  find: () => T | undefined | false,
  // Generous: it returns as soon as the message shows, and a busy two-core machine running the
  // whole suite can take most of a minute to get an operation's last edit through the budget.
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The text a stored message shows now (its blocks' text, else its fallback text). */
export function shown(message: StoredSlackMessage): string {
  const blocks = Array.isArray(message.blocks) ? (message.blocks as Array<{ text?: { text?: string } }>) : [];
  const fromBlocks = blocks
    .map((b) => b.text?.text ?? '')
    .filter((t) => t !== '')
    .join('\n');
  return fromBlocks || message.text;
}

/** The button values (confirmation ids) of a stored message's actions block. */
export function buttonsOf(
  message: StoredSlackMessage,
): Array<{ action_id: string; value: string; text: { text: string } }> {
  const blocks = Array.isArray(message.blocks)
    ? (message.blocks as Array<{ type: string; elements?: unknown[] }>)
    : [];
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap(
      (b) => (b.elements ?? []) as Array<{ action_id: string; value: string; text: { text: string } }>,
    );
}
