import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { SLACK_BOT_SCOPES } from '../../../src/bots/slack/slack-scopes.ts';

/** Identity and tokens the stand-in accepts; every field has a fixed default. */
export interface SlackWebApiStandInOptions {
  /** Default `xoxb-stand-in-bot-token`. */
  botToken?: string;
  /** Default `xapp-stand-in-app-token`; only `apps.connections.open` takes it. */
  appToken?: string;
  /** Default `U0BOT`. */
  botUserId?: string;
  /** Default `B0BOT`. */
  botId?: string;
  /** Default `A0APP`. */
  appId?: string;
  /** Default `T0TEAM`. */
  teamId?: string;
  /** Default `stand-in`. */
  teamName?: string;
  /**
   * What `apps.connections.open` answers as `url`, read at each call so it can be set after the
   * Socket Mode stand-in has started. Default: `ok:false` with `error:"socket_mode_not_configured"`.
   */
  socketModeUrl?: string | (() => string);
  /** Names `users.info` gives, by user id; others are named after their id. */
  users?: Record<string, string>;
  /** The bot token's scopes, sent as `x-oauth-scopes` on every answer as Slack does. */
  scopes?: readonly string[];
}

/** A file uploaded the way files.uploadV2 does it (get a URL, post the bytes, complete). */
export interface SlackUpload {
  fileId: string;
  filename: string;
  content: string;
  completed: boolean;
  channel?: string;
  threadTs?: string;
}

/** One call as it reached the stand-in, before any answer (rate-limited calls included). */
export interface RecordedSlackCall {
  method: string;
  /** The token as sent (header or `token` field), or undefined if none. */
  token: string | undefined;
  /** Form or JSON fields; fields sent as JSON strings in a form (`blocks`...) are decoded. */
  body: Record<string, unknown>;
  contentType: string;
  /** True when the stand-in answered 429 to this call. */
  rateLimited: boolean;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** A message as the stand-in keeps it, for `chat.update` and `conversations.replies`. */
export interface StoredSlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  blocks?: unknown;
  thread_ts?: string;
  edited?: { user: string; ts: string };
}

export interface SlackWebApiStandIn {
  readonly uploads: SlackUpload[];
  /** Base URL with trailing slash, for `slackApiUrl`: `http://127.0.0.1:P/api/`. */
  readonly url: string;
  readonly options: Required<Omit<SlackWebApiStandInOptions, 'socketModeUrl' | 'users' | 'scopes'>>;
  readonly calls: RecordedSlackCall[];
  /** Calls of one method that were answered (rate-limited attempts left out). */
  callsTo(method: string): RecordedSlackCall[];
  /** Messages posted so far (ephemeral ones are not kept), oldest first. */
  messages(channel?: string): StoredSlackMessage[];
  /** Answers the next `times` calls of `method` with HTTP 429 and `retry-after: <seconds>`. */
  rateLimit(method: string, times: number, retryAfterSeconds: number): void;
  /** Answers the next `times` calls of `method` with `ok:false` and this `error`. */
  failNext(method: string, times: number, error: string): void;
  /** Answers every call of `method` only after `ms` (a slow Slack); 0 for at once again. */
  slowDown(method: string, ms: number): void;
  setSocketModeUrl(url: string | (() => string)): void;
  /** A slash command's `response_url` on this stand-in; what is posted to it lands in `responses`. */
  responseUrl(id: string): string;
  /** What the app sent to response URLs (`respond()`), oldest first. */
  readonly responses: Array<{ id: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

type SlackAnswer = Record<string, unknown> & { ok: boolean };
type MethodHandler = (body: Record<string, unknown>) => SlackAnswer;

/** Fields @slack/web-api serialises as JSON strings inside a form body. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'unfurl_media', 'unfurl_links']);

/**
 * A local Slack Web API (the subset a bot uses) on 127.0.0.1, answering as Slack does:
 * HTTP 200 with `{ok:true, ...}` or `{ok:false, error}`, and 429 with `retry-after` on demand.
 */
export async function startSlackWebApi(opts: SlackWebApiStandInOptions = {}): Promise<SlackWebApiStandIn> {
  const options = {
    botToken: opts.botToken ?? 'xoxb-stand-in-bot-token',
    appToken: opts.appToken ?? 'xapp-stand-in-app-token',
    botUserId: opts.botUserId ?? 'U0BOT',
    botId: opts.botId ?? 'B0BOT',
    appId: opts.appId ?? 'A0APP',
    teamId: opts.teamId ?? 'T0TEAM',
    teamName: opts.teamName ?? 'stand-in',
  };
  let socketModeUrl = opts.socketModeUrl;
  const calls: RecordedSlackCall[] = [];
  const stored: StoredSlackMessage[] = [];
  const rateLimits = new Map<string, { times: number; retryAfterSeconds: number }>();
  const failures = new Map<string, { times: number; error: string }>();
  const delays = new Map<string, number>();
  let tsCounter = 0;

  /** Unique, increasing timestamps in Slack's `seconds.micros` form: 1700000000.000100, ...000200. */
  const nextTs = (): string => {
    tsCounter += 100;
    const seconds = 1_700_000_000 + Math.floor(tsCounter / 1_000_000);
    return `${seconds}.${String(tsCounter % 1_000_000).padStart(6, '0')}`;
  };
  const find = (channel: unknown, ts: unknown) => stored.find((m) => m.channel === channel && m.ts === ts);
  const hasContent = (b: Record<string, unknown>) =>
    Boolean(b.text) || Boolean(b.blocks) || Boolean(b.attachments);

  const userNames = new Map(Object.entries(opts.users ?? {}));
  const scopes = opts.scopes ?? SLACK_BOT_SCOPES;
  const uploads: SlackUpload[] = [];
  let baseUrl = '';

  const handlers: Record<string, MethodHandler> = {
    'auth.test': () => ({
      ok: true,
      url: `https://${options.teamName}.slack.com/`,
      team: options.teamName,
      user: 'gpuops',
      team_id: options.teamId,
      user_id: options.botUserId,
      bot_id: options.botId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (b) => {
      if (!b.channel) return { ok: false, error: 'channel_not_found' };
      if (!hasContent(b)) return { ok: false, error: 'no_text' };
      const tooLong = lengthError(b);
      if (tooLong) return { ok: false, error: tooLong };
      // People's messages (a mention's ts) are threads too; only the ts's shape is checked.
      if (b.thread_ts !== undefined && !/^\d+\.\d+$/.test(String(b.thread_ts))) {
        return { ok: false, error: 'invalid_thread_ts' };
      }
      const message: StoredSlackMessage = {
        type: 'message',
        channel: String(b.channel),
        ts: nextTs(),
        text: typeof b.text === 'string' ? b.text : '',
        user: options.botUserId,
        bot_id: options.botId,
        app_id: options.appId,
        team: options.teamId,
        ...(b.blocks !== undefined ? { blocks: b.blocks } : {}),
        ...(b.thread_ts !== undefined ? { thread_ts: String(b.thread_ts) } : {}),
      };
      stored.push(message);
      const { channel, ...wire } = message;
      return { ok: true, channel, ts: message.ts, message: wire };
    },
    'chat.update': (b) => {
      if (!b.channel) return { ok: false, error: 'channel_not_found' };
      if (!b.ts) return { ok: false, error: 'message_not_found' };
      const message = find(b.channel, b.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      if (!hasContent(b)) return { ok: false, error: 'no_text' };
      const tooLong = lengthError(b);
      if (tooLong) return { ok: false, error: tooLong };
      if (typeof b.text === 'string') message.text = b.text;
      if (b.blocks !== undefined) message.blocks = b.blocks;
      message.edited = { user: options.botUserId, ts: nextTs() };
      const { channel, ts, ...rest } = message;
      return { ok: true, channel, ts, text: message.text, message: rest };
    },
    'chat.postEphemeral': (b) => {
      if (!b.channel) return { ok: false, error: 'channel_not_found' };
      if (!b.user) return { ok: false, error: 'user_not_in_channel' };
      if (!hasContent(b)) return { ok: false, error: 'no_text' };
      return { ok: true, message_ts: nextTs() };
    },
    'conversations.replies': (b) => {
      if (!b.channel) return { ok: false, error: 'channel_not_found' };
      const parent = find(b.channel, b.ts);
      if (!parent) return { ok: false, error: 'thread_not_found' };
      const replies = stored.filter((m) => m.channel === b.channel && m.thread_ts === parent.ts);
      return { ok: true, messages: [parent, ...replies], has_more: false };
    },
    'users.info': (b) => {
      const id = String(b.user ?? '');
      if (!id) return { ok: false, error: 'user_not_found' };
      const name = userNames.get(id) ?? id.toLowerCase();
      return {
        ok: true,
        user: {
          id,
          team_id: options.teamId,
          name,
          real_name: name,
          profile: { display_name: name, real_name: name },
        },
      };
    },
    'files.getUploadURLExternal': (b) => {
      if (!b.filename) return { ok: false, error: 'invalid_arguments' };
      const fileId = `F${String(uploads.length + 1).padStart(6, '0')}`;
      uploads.push({ fileId, filename: String(b.filename), content: '', completed: false });
      return { ok: true, upload_url: `${baseUrl}/upload/${fileId}`, file_id: fileId };
    },
    'files.completeUploadExternal': (b) => {
      const files = Array.isArray(b.files) ? (b.files as Array<{ id: string; title?: string }>) : [];
      for (const f of files) {
        const upload = uploads.find((u) => u.fileId === f.id);
        if (!upload) return { ok: false, error: 'file_not_found' };
        upload.completed = true;
        if (b.channel_id) upload.channel = String(b.channel_id);
        if (b.thread_ts) upload.threadTs = String(b.thread_ts);
      }
      return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? '' })) };
    },
    'apps.connections.open': () => {
      if (socketModeUrl === undefined) return { ok: false, error: 'socket_mode_not_configured' };
      return { ok: true, url: typeof socketModeUrl === 'function' ? socketModeUrl() : socketModeUrl };
    },
  };

  const server = Fastify({ logger: false });
  // @slack/web-api sends form bodies; JSON bodies (Slack accepts both) use Fastify's own parser.
  server.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, raw, done) => {
      const fields: Record<string, unknown> = {};
      for (const [key, value] of new URLSearchParams(String(raw))) {
        fields[key] = JSON_FIELDS.has(key) ? decodeJsonField(value) : value;
      }
      done(null, fields);
    },
  );

  server.addContentTypeParser('*', { parseAs: 'string' }, (_req, raw, done) => done(null, raw));
  server.post('/upload/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const upload = uploads.find((u) => u.fileId === req.params.id);
    if (!upload) return reply.code(404).send('not found');
    upload.content = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    return reply.code(200).send('OK');
  });

  // Slack's response_url: JSON posted by `respond()`, answered 200 "ok" as Slack's hooks do.
  const responses: Array<{ id: string; body: Record<string, unknown> }> = [];
  server.post('/respond/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    responses.push({ id: req.params.id, body });
    return reply.code(200).send('ok');
  });

  server.post('/api/:method', async (req: FastifyRequest<{ Params: { method: string } }>, reply) => {
    const { method } = req.params;
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const token = tokenOf(req, body);
    const call: RecordedSlackCall = {
      method,
      token,
      body,
      contentType: String(req.headers['content-type'] ?? ''),
      rateLimited: false,
      at: Date.now(),
    };
    calls.push(call);
    const delay = delays.get(method) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

    const limit = rateLimits.get(method);
    if (limit && limit.times > 0) {
      limit.times -= 1;
      call.rateLimited = true;
      return reply
        .code(429)
        .header('retry-after', String(limit.retryAfterSeconds))
        .send({ ok: false, error: 'ratelimited' });
    }
    const handler = handlers[method];
    if (!handler) return send(reply, { ok: false, error: 'unknown_method' });
    const authError = checkToken(method, token);
    if (authError) return send(reply, { ok: false, error: authError });
    const failure = failures.get(method);
    if (failure && failure.times > 0) {
      failure.times -= 1;
      return send(reply, { ok: false, error: failure.error });
    }
    if (token === options.botToken) reply.header('x-oauth-scopes', scopes.join(','));
    return send(reply, handler(body));
  });

  /** Slack's answers: `not_authed` without a token, `not_allowed_token_type` for the wrong kind. */
  function checkToken(method: string, token: string | undefined): string | undefined {
    if (!token) return 'not_authed';
    const wantsAppToken = method === 'apps.connections.open';
    if (wantsAppToken ? token.startsWith('xoxb-') : token.startsWith('xapp-'))
      return 'not_allowed_token_type';
    const expected = wantsAppToken ? options.appToken : options.botToken;
    return token === expected ? undefined : 'invalid_auth';
  }

  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = address;
  return {
    uploads,
    url: `${address}/api/`,
    options,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method && !c.rateLimited),
    messages: (channel) => stored.filter((m) => channel === undefined || m.channel === channel),
    rateLimit: (method, times, retryAfterSeconds) => rateLimits.set(method, { times, retryAfterSeconds }),
    failNext: (method, times, error) => failures.set(method, { times, error }),
    slowDown: (method, ms) => delays.set(method, ms),
    setSocketModeUrl: (url) => {
      socketModeUrl = url;
    },
    responseUrl: (id) => `${address}/respond/${encodeURIComponent(id)}`,
    responses,
    close: () => server.close(),
  };
}

/** Slack's own limits: 40,000 characters of text, 3,000 per section block, 50 blocks. */
function lengthError(b: Record<string, unknown>): string | undefined {
  if (typeof b.text === 'string' && b.text.length > 40_000) return 'msg_too_long';
  if (b.blocks === undefined) return undefined;
  if (!Array.isArray(b.blocks) || b.blocks.length > 50) return 'invalid_blocks';
  for (const block of b.blocks as Array<{ type?: string; text?: { text?: string } }>) {
    if (block.type === 'section' && (block.text?.text?.length ?? 0) > 3_000) return 'invalid_blocks';
  }
  return undefined;
}

function send(reply: FastifyReply, answer: SlackAnswer): FastifyReply {
  // Slack answers 200 for ok:false as well; clients read `ok`, not the status.
  return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(answer);
}

function tokenOf(req: FastifyRequest, body: Record<string, unknown>): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length);
  return typeof body.token === 'string' ? body.token : undefined;
}

function decodeJsonField(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
