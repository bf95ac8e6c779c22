import { createHash } from 'node:crypto';
import type { APIAttachment, APIEmbed, APIMessage, APIUser } from 'discord.js';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** Discord's epoch (2015-01-01), the zero of every snowflake's timestamp. */
const DISCORD_EPOCH = 1_420_070_400_000;

/** Message flags the stand-in sets or reads. */
export const MESSAGE_FLAGS = {
  suppressEmbeds: 1 << 2,
  hasThread: 1 << 5,
  ephemeral: 1 << 6,
  loading: 1 << 7,
  suppressNotifications: 1 << 12,
} as const;

/** Flags a sender may set on a new channel message, and on an interaction response. */
/** How long Discord holds a message's nonce against a second post with `enforce_nonce`. */
const ENFORCED_NONCE_MS = 5 * 60_000;
const CHANNEL_MESSAGE_FLAGS = MESSAGE_FLAGS.suppressEmbeds | MESSAGE_FLAGS.suppressNotifications;
const INTERACTION_MESSAGE_FLAGS = CHANNEL_MESSAGE_FLAGS | MESSAGE_FLAGS.ephemeral;

/** Channel types the stand-in creates. */
export const CHANNEL_TYPES = { guildText: 0, dm: 1, publicThread: 11, privateThread: 12 } as const;

/** `GATEWAY_MESSAGE_CONTENT`: the application may receive message content (privileged intent approved). */
const APPLICATION_FLAG_GATEWAY_MESSAGE_CONTENT = 1 << 19;

/** Ids of the default world, all valid snowflakes (discord.js reads timestamps out of them). */
export const DEFAULT_DISCORD_IDS = {
  /** Also the bot user's id, as for every application created since 2020. */
  application: '1100000000000000001',
  guild: '1200000000000000001',
  /** A text channel `#gpu-ops` in the guild. */
  channel: '1300000000000000001',
  /** A human member of the guild, `alice`. */
  user: '1400000000000000001',
} as const;

export interface StandInChannelSpec {
  id: string;
  name: string;
  /** Default 0 (guild text). */
  type?: number;
}

export interface StandInGuildSpec {
  id: string;
  name: string;
  channels: StandInChannelSpec[];
}

export interface DiscordRestStandInOptions {
  /** Default `stand-in-bot-token`. */
  token?: string;
  /** Default {@link DEFAULT_DISCORD_IDS.application}; the bot user has the same id. */
  applicationId?: string;
  /** Default `gpuops`. */
  botUsername?: string;
  /** Default: one guild `gpuops-test` with the text channel `#gpu-ops`. */
  guilds?: StandInGuildSpec[];
  /** Whether the MessageContent privileged intent is approved; default true. */
  messageContentAllowed?: boolean;
  /** What `GET /gateway/bot` answers as `url`, read at each call; settable later. */
  gatewayUrl?: string | (() => string);
  /** Lifetime of an interaction token; default 15 minutes, as on Discord. */
  interactionTokenTtlMs?: number;
  /** Time an interaction has for its first callback; default 3 s, as on Discord. */
  interactionAckDeadlineMs?: number;
  /** Clock for timestamps, snowflakes and interaction expiry; rate-limit windows use real time. */
  now?: () => number;
  /** Requests per window of every route bucket not limited otherwise; default 50 per second. */
  bucketLimit?: RouteLimit;
  /** Discord's real limit on edits is 5 per 5 s per channel; default: the generic bucket limit. */
  messageEditLimit?: RouteLimit;
  /** Total size of one message's attachments; default 10 MiB (Discord's default upload limit). */
  attachmentSizeLimit?: number;
}

export interface RouteLimit {
  limit: number;
  windowMs: number;
}

export interface UploadedFile {
  /** The form field, `files[0]`... */
  field: string;
  filename: string;
  size: number;
  contentType: string;
}

/** One request as it reached the stand-in, answered or not. */
export interface RecordedDiscordCall {
  method: string;
  /** Decoded path below `/api/v10`, without the query: `/channels/130.../messages`, `.../@original`. */
  path: string;
  query: Record<string, string>;
  /** The bot token from `Authorization: Bot <token>`, or undefined (interaction webhooks send none). */
  token: string | undefined;
  /** JSON body (an array for bulk command overwrites), or the `payload_json` of a multipart body. */
  body: Record<string, unknown>;
  files: UploadedFile[];
  contentType: string;
  /** Status of the answer; 0 until answered. */
  status: number;
  /** True when the stand-in answered 429 (injected, or a bucket was exhausted). */
  rateLimited: boolean;
}

export interface RecordedInteractionResponse {
  interactionId: string;
  /** Callback type: 4 reply, 5 deferred reply, 6 deferred update, 7 update. */
  type: number;
  data: Record<string, unknown> | undefined;
  files: UploadedFile[];
}

/** An interaction the gateway stand-in sent, as the REST stand-in tracks it. */
export interface StandInInteraction {
  id: string;
  token: string;
  /** 2 application command, 3 message component. */
  type: number;
  channelId: string;
  guildId: string | undefined;
  createdAt: number;
  /** For a component interaction, the message the component belongs to. */
  messageId?: string;
  /** Callback type, once answered. */
  responseType?: number;
  /** The message `@original` refers to, once there is one. */
  originalMessageId?: string;
}

/** A channel as `GET /channels/{id}` answers it. */
export type WireChannel = Record<string, unknown> & { id: string; type: number; guild_id?: string };

/** Registered application command as Discord returns it. */
export type StoredCommand = Record<string, unknown> & { id: string; name: string };

/** Events Discord announces on the gateway after a REST change; the gateway stand-in relays them. */
export type RestGatewayEvent =
  | { t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE' | 'MESSAGE_DELETE'; message: APIMessage }
  | { t: 'THREAD_CREATE'; thread: WireChannel };

export interface InjectedRateLimit {
  times: number;
  /** Sent in `Retry-After` and `retry_after`; fractions are allowed, to keep tests fast. */
  retryAfterSeconds: number;
  /** Adds `X-RateLimit-Global`, which makes @discordjs/rest hold back every route. */
  global?: boolean;
}

export interface InjectedFailure {
  times?: number;
  status: number;
  code: number;
  message: string;
}

export interface DiscordRestStandIn {
  /** For `new Client({rest: {api: url}})`: `http://127.0.0.1:P/api`. */
  readonly url: string;
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: APIUser;
  readonly messageContentAllowed: boolean;
  readonly guilds: readonly StandInGuildSpec[];
  readonly calls: RecordedDiscordCall[];
  /** Answered calls (429s left out) whose `METHOD /path` contains `route`, or matches it. */
  callsTo(route: string | RegExp): RecordedDiscordCall[];
  /** Stored messages by id (ephemeral and user messages included), edits applied. */
  readonly messages: Map<string, APIMessage>;
  /** Messages of one channel, oldest first. */
  channelMessages(channelId: string): APIMessage[];
  /** Commands as last overwritten with `PUT`: global ones, and per guild id. */
  readonly commands: { global: StoredCommand[]; guilds: Map<string, StoredCommand[]> };
  readonly interactionResponses: RecordedInteractionResponse[];
  /** Answers the next `times` calls whose `METHOD /path` contains (or matches) `route` with 429. */
  rateLimit(route: string | RegExp, limit: InjectedRateLimit): void;
  /** Answers the next calls matching `route` with this error (after auth, before the handler). */
  failNext(route: string | RegExp, failure: InjectedFailure): void;
  setGatewayUrl(url: string | (() => string)): void;
  /** Subscribes to the gateway events REST changes cause; returns the unsubscribe function. */
  onGatewayEvent(listener: (event: RestGatewayEvent) => void): () => void;
  // For the gateway stand-in:
  /** A fresh snowflake at the stand-in's clock. */
  snowflake(): string;
  now(): number;
  channel(id: string): WireChannel | undefined;
  /** Every known channel of a guild, threads included. */
  guildChannels(guildId: string): WireChannel[];
  /** Adds a DM channel (created on first message, as Discord does). */
  addDmChannel(channel: WireChannel): void;
  /** Stores a message that a user sent, so that replies, threads and buttons can refer to it. */
  storeMessage(message: APIMessage): void;
  registerInteraction(interaction: StandInInteraction): void;
  close(): Promise<void>;
}

type Answer = { status: number; body?: unknown };

interface DiscordRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
  files: UploadedFile[];
}

type Handler = (req: DiscordRequest) => Answer;

/** What the multipart parser hands on: the JSON payload and the files beside it. */
interface MultipartBody {
  json: Record<string, unknown>;
  files: UploadedFile[];
}

/**
 * A local Discord HTTP API v10 (the subset a bot uses) on 127.0.0.1, answering with Discord's
 * status codes, error bodies (`{message, code, errors?}`) and `X-RateLimit-*` headers, so that
 * the real @discordjs/rest can be tested against it, including its rate-limit handling.
 */
export async function startDiscordRest(opts: DiscordRestStandInOptions = {}): Promise<DiscordRestStandIn> {
  const token = opts.token ?? 'stand-in-bot-token';
  const applicationId = opts.applicationId ?? DEFAULT_DISCORD_IDS.application;
  const messageContentAllowed = opts.messageContentAllowed ?? true;
  const tokenTtlMs = opts.interactionTokenTtlMs ?? 15 * 60_000;
  const ackDeadlineMs = opts.interactionAckDeadlineMs ?? 3_000;
  const now = opts.now ?? Date.now;
  const bucketLimit = opts.bucketLimit ?? { limit: 50, windowMs: 1_000 };
  const attachmentSizeLimit = opts.attachmentSizeLimit ?? 10 * 1024 * 1024;
  const guilds = opts.guilds ?? [
    {
      id: DEFAULT_DISCORD_IDS.guild,
      name: 'gpuops-test',
      channels: [{ id: DEFAULT_DISCORD_IDS.channel, name: 'gpu-ops' }],
    },
  ];
  const botUser: APIUser = {
    id: applicationId,
    username: opts.botUsername ?? 'gpuops',
    discriminator: '0',
    global_name: null,
    avatar: null,
    bot: true,
  };
  let gatewayUrl = opts.gatewayUrl;

  const channels = new Map<string, WireChannel>();
  for (const guild of guilds) {
    guild.channels.forEach((spec, position) => {
      channels.set(spec.id, {
        id: spec.id,
        type: spec.type ?? CHANNEL_TYPES.guildText,
        guild_id: guild.id,
        name: spec.name,
        position,
        permission_overwrites: [],
        parent_id: null,
        nsfw: false,
        topic: null,
        last_message_id: null,
        rate_limit_per_user: 0,
        default_auto_archive_duration: 1440,
        flags: 0,
      });
    });
  }
  const calls: RecordedDiscordCall[] = [];
  const messages = new Map<string, APIMessage>();
  const commands = { global: [] as StoredCommand[], guilds: new Map<string, StoredCommand[]>() };
  const interactionResponses: RecordedInteractionResponse[] = [];
  const interactions = new Map<string, StandInInteraction>();
  const injectedLimits: Array<{ route: string | RegExp } & InjectedRateLimit> = [];
  const injectedFailures: Array<{ route: string | RegExp } & InjectedFailure & { times: number }> = [];
  const buckets = new Map<string, { remaining: number; resetAt: number }>();
  const listeners = new Set<(event: RestGatewayEvent) => void>();
  let snowflakeIncrement = 0;

  const snowflake = (): string => {
    snowflakeIncrement = (snowflakeIncrement + 1) % 4096;
    return ((BigInt(now() - DISCORD_EPOCH) << 22n) | BigInt(snowflakeIncrement)).toString();
  };
  const timestamp = () => new Date(now()).toISOString().replace('Z', '+00:00');
  const announce = (event: RestGatewayEvent) => {
    for (const listener of listeners) listener(event);
  };
  /** Ephemeral messages exist only for the interaction's user: Discord announces them to nobody. */
  const announceMessage = (
    t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE' | 'MESSAGE_DELETE',
    message: APIMessage,
  ) => {
    if (!isEphemeral(message)) announce({ t, message });
  };

  /** A new message by the bot; `allowedFlags` are those the route lets the sender set. */
  function newMessage(
    channelId: string,
    body: Record<string, unknown>,
    files: UploadedFile[],
    allowedFlags: number,
  ): APIMessage {
    const id = snowflake();
    const message: APIMessage = {
      id,
      channel_id: channelId,
      author: botUser,
      content: typeof body.content === 'string' ? body.content : '',
      timestamp: timestamp(),
      edited_timestamp: null,
      tts: body.tts === true,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: attachmentsOf(channelId, body, files, []),
      embeds: Array.isArray(body.embeds) ? (body.embeds as APIEmbed[]) : [],
      components: Array.isArray(body.components) ? (body.components as APIMessage['components']) : [],
      pinned: false,
      type: 0,
      flags: typeof body.flags === 'number' ? body.flags & allowedFlags : 0,
      ...(typeof body.nonce === 'string' || typeof body.nonce === 'number' ? { nonce: body.nonce } : {}),
    };
    messages.set(id, message);
    const channel = channels.get(channelId);
    if (channel) channel.last_message_id = id;
    return message;
  }

  /** Applies an edit as Discord does: only the fields sent change; `attachments` lists those kept. */
  function applyEdit(message: APIMessage, body: Record<string, unknown>, files: UploadedFile[]): void {
    if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
    if ('embeds' in body) message.embeds = Array.isArray(body.embeds) ? (body.embeds as APIEmbed[]) : [];
    if ('components' in body) {
      message.components = Array.isArray(body.components)
        ? (body.components as APIMessage['components'])
        : [];
    }
    if ('attachments' in body || files.length > 0) {
      message.attachments = attachmentsOf(message.channel_id, body, files, message.attachments);
    }
    if (typeof body.flags === 'number') {
      // Only SUPPRESS_EMBEDS can be changed by an edit; the rest stay as they were.
      const suppressEmbeds = MESSAGE_FLAGS.suppressEmbeds;
      message.flags = ((message.flags ?? 0) & ~suppressEmbeds) | (body.flags & suppressEmbeds);
    }
    message.flags = (message.flags ?? 0) & ~MESSAGE_FLAGS.loading;
    message.edited_timestamp = timestamp();
  }

  function attachmentsOf(
    channelId: string,
    body: Record<string, unknown>,
    files: UploadedFile[],
    existing: APIAttachment[],
  ): APIAttachment[] {
    const kept = Array.isArray(body.attachments)
      ? existing.filter((a) =>
          (body.attachments as Array<{ id?: unknown }>).some((k) => String(k.id) === a.id),
        )
      : existing;
    const added = files.map((file): APIAttachment => {
      const id = snowflake();
      const url = `https://cdn.discordapp.com/attachments/${channelId}/${id}/${file.filename}`;
      return {
        id,
        filename: file.filename,
        size: file.size,
        url,
        proxy_url: url.replace('cdn.discordapp.com', 'media.discordapp.net'),
        content_type: file.contentType,
      };
    });
    return [...kept, ...added];
  }

  /** A reply's reference as Discord fills it in, or its 400 when the referenced message is unknown. */
  function referenceOf(
    channelId: string,
    body: Record<string, unknown>,
  ): Pick<APIMessage, 'message_reference' | 'referenced_message'> | Answer | undefined {
    const reference = body.message_reference as
      | { message_id?: string; fail_if_not_exists?: boolean }
      | undefined;
    if (!reference?.message_id) return undefined;
    const referenced = messages.get(reference.message_id);
    if (!referenced || referenced.channel_id !== channelId) {
      if (reference.fail_if_not_exists === false) return undefined;
      return invalidForm({
        message_reference: { _errors: [{ code: 'REPLIES_UNKNOWN_MESSAGE', message: 'Unknown message' }] },
      });
    }
    const guildId = channels.get(channelId)?.guild_id;
    return {
      message_reference: {
        type: 0,
        message_id: referenced.id,
        channel_id: channelId,
        ...(guildId ? { guild_id: guildId } : {}),
      },
      referenced_message: { ...referenced },
    };
  }

  function checkMessageBody(
    body: Record<string, unknown>,
    files: UploadedFile[],
    existing?: APIMessage,
  ): Answer | undefined {
    const invalid = validateMessageFields(body);
    if (invalid) return invalid;
    if (files.reduce((sum, f) => sum + f.size, 0) > attachmentSizeLimit) {
      return error(413, 40005, 'Request entity too large');
    }
    const has = (field: string, fallback: unknown[] | string | undefined) => {
      const value = field in body ? body[field] : fallback;
      return typeof value === 'string' ? value.length > 0 : Array.isArray(value) && value.length > 0;
    };
    const empty =
      !has('content', existing?.content) &&
      !has('embeds', existing?.embeds) &&
      !has('components', existing?.components) &&
      !has('sticker_ids', undefined) &&
      !has('attachments', existing?.attachments) &&
      files.length === 0 &&
      !body.poll;
    return empty ? error(400, 50006, 'Cannot send an empty message') : undefined;
  }

  // --- interactions ---------------------------------------------------------------------------

  /** The interaction behind a webhook token, or Discord's 401 for an unknown or expired one. */
  function interactionByToken(appId: string, interactionToken: string): StandInInteraction | Answer {
    const interaction = [...interactions.values()].find((i) => i.token === interactionToken);
    if (appId !== applicationId || !interaction || now() - interaction.createdAt > tokenTtlMs) {
      return error(401, 50027, 'Invalid Webhook Token');
    }
    return interaction;
  }

  function originalOf(interaction: StandInInteraction): APIMessage | Answer {
    const original = interaction.originalMessageId ? messages.get(interaction.originalMessageId) : undefined;
    return original ?? error(404, 10008, 'Unknown Message');
  }

  function interactionCallback(req: DiscordRequest): Answer {
    const { interactionId = '', interactionToken = '' } = req.params;
    const interaction = interactions.get(interactionId);
    if (
      !interaction ||
      interaction.token !== interactionToken ||
      now() - interaction.createdAt > ackDeadlineMs
    ) {
      return error(404, 10062, 'Unknown interaction');
    }
    if (interaction.responseType !== undefined) {
      return error(400, 40060, 'Interaction has already been acknowledged.');
    }
    const type = Number(req.body.type);
    const data = (req.body.data ?? undefined) as Record<string, unknown> | undefined;
    const isComponent = interaction.type === 3;
    if (![4, 5, 6, 7].includes(type) || (!isComponent && (type === 6 || type === 7))) {
      return invalidForm({
        type: { _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: 'Invalid response type' }] },
      });
    }
    if (type === 4 || type === 7) {
      const existing = type === 7 && interaction.messageId ? messages.get(interaction.messageId) : undefined;
      const invalid = checkMessageBody(data ?? {}, req.files, existing);
      if (invalid) return invalid;
    }
    interaction.responseType = type;
    interactionResponses.push({ interactionId, type, data, files: req.files });

    if (type === 4 || type === 5) {
      const message = newMessage(
        interaction.channelId,
        type === 4 ? (data ?? {}) : {},
        req.files,
        INTERACTION_MESSAGE_FLAGS,
      );
      if (type === 5) message.flags = ((data?.flags as number | undefined) ?? 0) | MESSAGE_FLAGS.loading;
      message.webhook_id = applicationId;
      message.application_id = applicationId;
      // A slash command's reply is of type 20 (CHAT_INPUT_COMMAND).
      message.type = isComponent ? 0 : 20;
      interaction.originalMessageId = message.id;
      announceMessage('MESSAGE_CREATE', message);
    } else if (interaction.messageId) {
      // 6 and 7 act on the message whose component was used.
      interaction.originalMessageId = interaction.messageId;
      const message = messages.get(interaction.messageId);
      if (type === 7 && message) {
        applyEdit(message, data ?? {}, req.files);
        announceMessage('MESSAGE_UPDATE', message);
      }
    }
    if (req.query.with_response !== 'true') return { status: 204 };
    const original = interaction.originalMessageId ? messages.get(interaction.originalMessageId) : undefined;
    return {
      status: 200,
      body: {
        interaction: {
          id: interaction.id,
          type: interaction.type,
          response_message_id: original?.id,
          response_message_loading: type === 5,
          response_message_ephemeral: ((original?.flags ?? 0) & MESSAGE_FLAGS.ephemeral) !== 0,
        },
        resource: { type, ...(type === 4 || type === 7 ? { message: original } : {}) },
      },
    };
  }

  // --- routes ---------------------------------------------------------------------------------

  const server = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  // discord.js sends files as multipart/form-data: `files[n]` parts beside a `payload_json` part.
  server.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req, raw, done) => {
    const contentType = String(req.headers['content-type']);
    new Response(raw as Buffer, { headers: { 'content-type': contentType } })
      .formData()
      .then((form) => {
        const parsed: MultipartBody = { json: {}, files: [] };
        for (const [field, value] of form) {
          if (typeof value === 'string') {
            if (field === 'payload_json') parsed.json = JSON.parse(value) as Record<string, unknown>;
          } else {
            parsed.files.push({ field, filename: value.name, size: value.size, contentType: value.type });
          }
        }
        done(null, parsed);
      })
      .catch((err: Error) => done(err, undefined));
  });
  server.setNotFoundHandler((_req, reply) => reply.code(404).send({ message: '404: Not Found', code: 0 }));
  server.setErrorHandler((_err, _req, reply) =>
    reply.code(400).send({ message: '400: Bad Request', code: 0 }),
  );

  const matches = (route: string | RegExp, call: RecordedDiscordCall) => {
    const line = `${call.method} ${call.path}`;
    return typeof route === 'string' ? line.includes(route) : route.test(line);
  };

  function route(method: string, url: string, auth: 'bot' | 'none', handler: Handler): void {
    server.route({
      method: method as 'GET',
      url: `/api/v10${url}`,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const raw = req.body as Record<string, unknown> | MultipartBody | undefined;
        const multipart = isMultipart(req) ? (raw as MultipartBody) : undefined;
        const request: DiscordRequest = {
          params: req.params as Record<string, string>,
          query: req.query as Record<string, string>,
          body: multipart?.json ?? ((raw as Record<string, unknown> | undefined) || {}),
          files: multipart?.files ?? [],
        };
        const call: RecordedDiscordCall = {
          method: req.method,
          // discord.js sends `@original` as `%40original`.
          path: decodeURIComponent(req.url.replace(/^\/api\/v10/, '').replace(/\?.*$/, '')),
          query: request.query,
          token: botTokenOf(req),
          body: request.body,
          files: request.files,
          contentType: String(req.headers['content-type'] ?? ''),
          status: 0,
          rateLimited: false,
        };
        calls.push(call);
        const bucket = bucketOf(method, url, request.params);
        const answer = ((): Answer => {
          if (auth === 'bot' && call.token !== token) return error(401, 0, '401: Unauthorized');
          const injected = injectedLimits.find((l) => l.times > 0 && matches(l.route, call));
          if (injected) {
            injected.times -= 1;
            return rateLimited(reply, injected.retryAfterSeconds, injected.global === true);
          }
          const state = bucketState(bucket);
          if (state.remaining <= 0) return rateLimited(reply, (state.resetAt - Date.now()) / 1000, false);
          state.remaining -= 1;
          const failure = injectedFailures.find((f) => f.times > 0 && matches(f.route, call));
          if (failure) {
            failure.times -= 1;
            return error(failure.status, failure.code, failure.message);
          }
          return handler(request);
        })();
        call.status = answer.status;
        call.rateLimited = answer.status === 429;
        setBucketHeaders(reply, bucket);
        reply.code(answer.status);
        return answer.body === undefined ? reply.send() : reply.send(answer.body);
      },
    });
  }

  function bucketOf(method: string, url: string, params: Record<string, string>) {
    // Discord's buckets are per route and per "major parameter" (channel, guild or webhook).
    const major = params.channelId ?? params.guildId ?? params.interactionToken ?? '';
    const routeKey = `${method} ${url}`;
    const limit =
      opts.messageEditLimit && routeKey === 'PATCH /channels/:channelId/messages/:messageId'
        ? opts.messageEditLimit
        : bucketLimit;
    const hash = createHash('sha1').update(routeKey).digest('hex').slice(0, 32);
    return { key: `${hash}:${major}`, hash, limit };
  }

  function bucketState(bucket: ReturnType<typeof bucketOf>) {
    let state = buckets.get(bucket.key);
    if (!state || Date.now() >= state.resetAt) {
      state = { remaining: bucket.limit.limit, resetAt: Date.now() + bucket.limit.windowMs };
      buckets.set(bucket.key, state);
    }
    return state;
  }

  function setBucketHeaders(reply: FastifyReply, bucket: ReturnType<typeof bucketOf>): void {
    const state = bucketState(bucket);
    reply.headers({
      'x-ratelimit-limit': String(bucket.limit.limit),
      'x-ratelimit-remaining': String(Math.max(0, state.remaining)),
      'x-ratelimit-reset': (state.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': (Math.max(0, state.resetAt - Date.now()) / 1000).toFixed(3),
      'x-ratelimit-bucket': bucket.hash,
    });
  }

  route('GET', '/gateway/bot', 'bot', () => {
    if (gatewayUrl === undefined) return error(503, 0, 'No gateway stand-in configured');
    return {
      status: 200,
      body: {
        url: typeof gatewayUrl === 'function' ? gatewayUrl() : gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
      },
    };
  });
  route('GET', '/users/@me', 'bot', () => ({
    status: 200,
    body: { ...botUser, verified: true, mfa_enabled: false, flags: 0, public_flags: 0 },
  }));
  route('GET', '/applications/@me', 'bot', () => ({
    status: 200,
    body: {
      id: applicationId,
      name: botUser.username,
      icon: null,
      description: '',
      bot_public: false,
      bot_require_code_grant: false,
      verify_key: '0'.repeat(64),
      flags: messageContentAllowed ? APPLICATION_FLAG_GATEWAY_MESSAGE_CONTENT : 0,
      bot: botUser,
    },
  }));

  const putCommands =
    (guildScoped: boolean): Handler =>
    (req) => {
      if (req.params.applicationId !== applicationId) return error(403, 50001, 'Missing Access');
      const guildId = req.params.guildId;
      if (guildScoped && !guilds.some((g) => g.id === guildId)) return error(403, 50001, 'Missing Access');
      const list = Array.isArray(req.body) ? (req.body as Array<Record<string, unknown>>) : undefined;
      if (!list) return invalidForm({ _errors: [{ code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }] });
      const invalid = validateCommands(list);
      if (invalid) return invalid;
      const stored = list.map(
        (command): StoredCommand => ({
          type: 1,
          default_member_permissions: null,
          nsfw: false,
          ...command,
          id: snowflake(),
          name: String(command.name),
          description: command.description ?? '',
          application_id: applicationId,
          version: snowflake(),
          ...(guildId ? { guild_id: guildId } : {}),
        }),
      );
      if (guildId) commands.guilds.set(guildId, stored);
      else commands.global = stored;
      return { status: 200, body: stored };
    };
  route('PUT', '/applications/:applicationId/commands', 'bot', putCommands(false));
  route('PUT', '/applications/:applicationId/guilds/:guildId/commands', 'bot', putCommands(true));
  route('GET', '/applications/:applicationId/commands', 'bot', () => ({
    status: 200,
    body: commands.global,
  }));
  route('GET', '/applications/:applicationId/guilds/:guildId/commands', 'bot', (req) => ({
    status: 200,
    body: commands.guilds.get(req.params.guildId ?? '') ?? [],
  }));

  route('POST', '/interactions/:interactionId/:interactionToken/callback', 'none', interactionCallback);

  route('GET', '/webhooks/:applicationId/:interactionToken/messages/:messageId', 'none', (req) => {
    const interaction = interactionByToken(req.params.applicationId ?? '', req.params.interactionToken ?? '');
    if (isAnswer(interaction)) return interaction;
    const message =
      req.params.messageId === '@original' ? originalOf(interaction) : webhookMessage(interaction, req);
    return isAnswer(message) ? message : { status: 200, body: message };
  });
  route('PATCH', '/webhooks/:applicationId/:interactionToken/messages/:messageId', 'none', (req) => {
    const interaction = interactionByToken(req.params.applicationId ?? '', req.params.interactionToken ?? '');
    if (isAnswer(interaction)) return interaction;
    const message =
      req.params.messageId === '@original' ? originalOf(interaction) : webhookMessage(interaction, req);
    if (isAnswer(message)) return message;
    const invalid = checkMessageBody(req.body, req.files, message);
    if (invalid) return invalid;
    applyEdit(message, req.body, req.files);
    announceMessage('MESSAGE_UPDATE', message);
    return { status: 200, body: message };
  });
  route('DELETE', '/webhooks/:applicationId/:interactionToken/messages/:messageId', 'none', (req) => {
    const interaction = interactionByToken(req.params.applicationId ?? '', req.params.interactionToken ?? '');
    if (isAnswer(interaction)) return interaction;
    const message =
      req.params.messageId === '@original' ? originalOf(interaction) : webhookMessage(interaction, req);
    if (isAnswer(message)) return message;
    deleteMessage(message);
    return { status: 204 };
  });
  route('POST', '/webhooks/:applicationId/:interactionToken', 'none', (req) => {
    const interaction = interactionByToken(req.params.applicationId ?? '', req.params.interactionToken ?? '');
    if (isAnswer(interaction)) return interaction;
    if (interaction.responseType === undefined) return error(404, 10015, 'Unknown Webhook');
    const invalid = checkMessageBody(req.body, req.files);
    if (invalid) return invalid;
    const original = interaction.originalMessageId ? messages.get(interaction.originalMessageId) : undefined;
    if (original && ((original.flags ?? 0) & MESSAGE_FLAGS.loading) !== 0) {
      // Discord's quirk: after a deferred reply, the first follow-up fills the "thinking" message.
      applyEdit(original, req.body, req.files);
      announceMessage('MESSAGE_UPDATE', original);
      return { status: 200, body: original };
    }
    const message = newMessage(interaction.channelId, req.body, req.files, INTERACTION_MESSAGE_FLAGS);
    message.webhook_id = applicationId;
    message.application_id = applicationId;
    announceMessage('MESSAGE_CREATE', message);
    return { status: 200, body: message };
  });

  /** A follow-up of this interaction, by id (Discord refuses ids of other messages). */
  function webhookMessage(interaction: StandInInteraction, req: DiscordRequest): APIMessage | Answer {
    const message = messages.get(req.params.messageId ?? '');
    if (!message || message.webhook_id !== applicationId || message.channel_id !== interaction.channelId) {
      return error(404, 10008, 'Unknown Message');
    }
    return message;
  }

  function deleteMessage(message: APIMessage): void {
    messages.delete(message.id);
    announceMessage('MESSAGE_DELETE', message);
  }

  route('GET', '/channels/:channelId', 'bot', (req) => {
    const channel = channels.get(req.params.channelId ?? '');
    return channel ? { status: 200, body: channel } : unknownChannel();
  });
  route('POST', '/channels/:channelId/messages', 'bot', (req) => {
    const channelId = req.params.channelId ?? '';
    if (!channels.has(channelId)) return unknownChannel();
    const invalid = checkMessageBody(req.body, req.files);
    if (invalid) return invalid;
    const reference = referenceOf(channelId, req.body);
    if (isAnswer(reference)) return reference;
    const nonce = req.body.nonce;
    if (req.body.enforce_nonce === true && (typeof nonce === 'string' || typeof nonce === 'number')) {
      // As Discord: the same author's message with this nonce, made in the last few minutes, is
      // returned instead of a second one.
      const since = now() - ENFORCED_NONCE_MS;
      const earlier = [...messages.values()].find(
        (m) => m.author.id === botUser.id && m.nonce === nonce && Date.parse(m.timestamp) >= since,
      );
      if (earlier) return { status: 200, body: earlier };
    }
    const message = newMessage(channelId, req.body, req.files, CHANNEL_MESSAGE_FLAGS);
    // A reply is a message of type 19 (REPLY) that carries the message it answers.
    if (reference) Object.assign(message, { type: 19, ...reference });
    announceMessage('MESSAGE_CREATE', message);
    return { status: 200, body: message };
  });
  route('GET', '/channels/:channelId/messages/:messageId', 'bot', (req) => {
    const message = channelMessage(req);
    return isAnswer(message) ? message : { status: 200, body: message };
  });
  route('PATCH', '/channels/:channelId/messages/:messageId', 'bot', (req) => {
    const message = channelMessage(req);
    if (isAnswer(message)) return message;
    if (message.author.id !== botUser.id) {
      return error(403, 50005, 'Cannot edit a message authored by another user');
    }
    const invalid = checkMessageBody(req.body, req.files, message);
    if (invalid) return invalid;
    applyEdit(message, req.body, req.files);
    announceMessage('MESSAGE_UPDATE', message);
    return { status: 200, body: message };
  });
  route('DELETE', '/channels/:channelId/messages/:messageId', 'bot', (req) => {
    const message = channelMessage(req);
    if (isAnswer(message)) return message;
    deleteMessage(message);
    return { status: 204 };
  });
  route('POST', '/channels/:channelId/messages/:messageId/threads', 'bot', (req) => {
    const start = channelMessage(req);
    if (isAnswer(start)) return start;
    if (start.thread) return error(400, 160004, 'A thread has already been created for this message');
    const parent = channels.get(start.channel_id);
    if (!parent?.guild_id || parent.type !== CHANNEL_TYPES.guildText) {
      return error(400, 50024, 'Cannot execute action on this channel type');
    }
    // A thread started from a message has the message's id, as on Discord.
    const thread = createThread(parent, { ...req.body, type: CHANNEL_TYPES.publicThread }, start.id);
    if (isAnswer(thread)) return thread;
    start.thread = thread as unknown as APIMessage['thread'];
    start.flags = (start.flags ?? 0) | MESSAGE_FLAGS.hasThread;
    return { status: 201, body: thread };
  });
  route('POST', '/channels/:channelId/threads', 'bot', (req) => {
    const parent = channels.get(req.params.channelId ?? '');
    if (!parent) return unknownChannel();
    if (!parent.guild_id || parent.type !== CHANNEL_TYPES.guildText) {
      return error(400, 50024, 'Cannot execute action on this channel type');
    }
    const thread = createThread(parent, { type: CHANNEL_TYPES.privateThread, ...req.body }, snowflake());
    return isAnswer(thread) ? thread : { status: 201, body: thread };
  });

  function createThread(
    parent: WireChannel,
    body: Record<string, unknown>,
    id: string,
  ): WireChannel | Answer {
    const name = typeof body.name === 'string' ? body.name : '';
    if (name.length < 1 || name.length > 100) {
      return invalidForm({ name: { _errors: [lengthError(1, 100)] } });
    }
    const created = timestamp();
    const thread: WireChannel = {
      id,
      type: Number(body.type),
      guild_id: parent.guild_id,
      parent_id: parent.id,
      owner_id: botUser.id,
      name,
      last_message_id: null,
      rate_limit_per_user: typeof body.rate_limit_per_user === 'number' ? body.rate_limit_per_user : 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      flags: 0,
      thread_metadata: {
        archived: false,
        auto_archive_duration:
          typeof body.auto_archive_duration === 'number' ? body.auto_archive_duration : 1440,
        archive_timestamp: created,
        locked: false,
        create_timestamp: created,
        ...(Number(body.type) === CHANNEL_TYPES.privateThread ? { invitable: body.invitable !== false } : {}),
      },
      member: { id, user_id: botUser.id, join_timestamp: created, flags: 0 },
    };
    channels.set(id, thread);
    announce({ t: 'THREAD_CREATE', thread });
    return thread;
  }

  function channelMessage(req: DiscordRequest): APIMessage | Answer {
    const channelId = req.params.channelId ?? '';
    if (!channels.has(channelId)) return unknownChannel();
    const message = messages.get(req.params.messageId ?? '');
    if (!message || message.channel_id !== channelId || isEphemeral(message)) {
      return error(404, 10008, 'Unknown Message');
    }
    return message;
  }

  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${address}/api`,
    token,
    applicationId,
    botUser,
    messageContentAllowed,
    guilds,
    calls,
    callsTo: (r) => calls.filter((c) => !c.rateLimited && matches(r, c)),
    messages,
    channelMessages: (channelId) => [...messages.values()].filter((m) => m.channel_id === channelId),
    commands,
    interactionResponses,
    rateLimit: (r, limit) => injectedLimits.push({ route: r, ...limit }),
    failNext: (r, failure) => injectedFailures.push({ route: r, ...failure, times: failure.times ?? 1 }),
    setGatewayUrl: (url) => {
      gatewayUrl = url;
    },
    onGatewayEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snowflake,
    now,
    channel: (id) => channels.get(id),
    guildChannels: (guildId) => [...channels.values()].filter((c) => c.guild_id === guildId),
    addDmChannel: (channel) => channels.set(channel.id, channel),
    storeMessage: (message) => messages.set(message.id, message),
    registerInteraction: (interaction) => interactions.set(interaction.id, interaction),
    close: () => server.close(),
  };
}

function isMultipart(req: FastifyRequest): boolean {
  return String(req.headers['content-type'] ?? '').startsWith('multipart/form-data');
}

function botTokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bot ') ? header.slice('Bot '.length) : undefined;
}

/** Tells an error answer from the message, interaction or channel a lookup returns instead. */
function isAnswer(value: unknown): value is Answer {
  return typeof value === 'object' && value !== null && 'status' in value;
}

function isEphemeral(message: APIMessage): boolean {
  return ((message.flags ?? 0) & MESSAGE_FLAGS.ephemeral) !== 0;
}

function error(status: number, code: number, message: string): Answer {
  return { status, body: { message, code } };
}

function unknownChannel(): Answer {
  return error(404, 10003, 'Unknown Channel');
}

/** Discord's 50035 answer, with `errors` shaped like the request body down to each bad field. */
function invalidForm(errors: Record<string, unknown>): Answer {
  return { status: 400, body: { message: 'Invalid Form Body', code: 50035, errors } };
}

function rateLimited(reply: FastifyReply, retryAfterSeconds: number, global: boolean): Answer {
  const seconds = Math.max(0, retryAfterSeconds);
  reply.header('retry-after', String(seconds));
  reply.header('x-ratelimit-scope', global ? 'global' : 'user');
  // @discordjs/rest takes the mere presence of this header as "global".
  if (global) reply.header('x-ratelimit-global', 'true');
  return {
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: seconds, global, code: 0 },
  };
}

function maxLengthError(max: number) {
  return { code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` };
}

function lengthError(min: number, max: number) {
  return { code: 'BASE_TYPE_BAD_LENGTH', message: `Must be between ${min} and ${max} in length.` };
}

/** The length limits Discord checks on a message body; every violation goes into one 50035 answer. */
function validateMessageFields(body: Record<string, unknown>): Answer | undefined {
  const errors: Record<string, unknown> = {};
  if (typeof body.content === 'string' && body.content.length > 2000) {
    errors.content = { _errors: [maxLengthError(2000)] };
  }
  if (Array.isArray(body.embeds)) {
    const embedErrors: Record<string, unknown> = {};
    if (body.embeds.length > 10) embedErrors._errors = [maxLengthError(10)];
    let total = 0;
    (body.embeds as APIEmbed[]).forEach((embed, index) => {
      const fieldErrors: Record<string, unknown> = {};
      if ((embed.title?.length ?? 0) > 256) fieldErrors.title = { _errors: [maxLengthError(256)] };
      if ((embed.description?.length ?? 0) > 4096) {
        fieldErrors.description = { _errors: [maxLengthError(4096)] };
      }
      if ((embed.fields?.length ?? 0) > 25) fieldErrors.fields = { _errors: [maxLengthError(25)] };
      total +=
        (embed.title?.length ?? 0) +
        (embed.description?.length ?? 0) +
        (embed.footer?.text.length ?? 0) +
        (embed.author?.name.length ?? 0) +
        (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0);
      if (Object.keys(fieldErrors).length > 0) embedErrors[index] = fieldErrors;
    });
    if (total > 6000 && !embedErrors._errors) {
      embedErrors._errors = [
        { code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' },
      ];
    }
    if (Object.keys(embedErrors).length > 0) errors.embeds = embedErrors;
  }
  if (Array.isArray(body.components)) {
    const componentErrors: Record<string, unknown> = {};
    if (body.components.length > 5) componentErrors._errors = [maxLengthError(5)];
    (body.components as Array<{ type?: number; components?: unknown[] }>).forEach((row, index) => {
      // An action row (type 1) holds 1 to 5 buttons, or a single select menu.
      const count = row.components?.length ?? 0;
      if (row.type === 1 && (count < 1 || count > 5)) {
        componentErrors[index] = { components: { _errors: [lengthError(1, 5)] } };
      }
    });
    if (Object.keys(componentErrors).length > 0) errors.components = componentErrors;
  }
  return Object.keys(errors).length > 0 ? invalidForm(errors) : undefined;
}

/** Names of chat-input commands: 1-32 lowercase letters, digits, `-` or `_`; descriptions 1-100. */
function validateCommands(list: Array<Record<string, unknown>>): Answer | undefined {
  const errors: Record<string, unknown> = {};
  list.forEach((command, index) => {
    const fieldErrors: Record<string, unknown> = {};
    const name = typeof command.name === 'string' ? command.name : '';
    const chatInput = command.type === undefined || command.type === 1;
    if (!/^[-_\p{Ll}\p{N}]{1,32}$/u.test(name) && chatInput) {
      fieldErrors.name = {
        _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME', message: 'Command name is invalid' }],
      };
    }
    const description = typeof command.description === 'string' ? command.description : '';
    if (chatInput && (description.length < 1 || description.length > 100)) {
      fieldErrors.description = { _errors: [lengthError(1, 100)] };
    }
    if (Object.keys(fieldErrors).length > 0) errors[index] = fieldErrors;
  });
  return Object.keys(errors).length > 0 ? invalidForm(errors) : undefined;
}
