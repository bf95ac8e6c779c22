import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type {
  APIApplicationCommandInteractionDataOption,
  APIMessage,
  APIUser,
  MessageFlags,
} from 'discord.js';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  CHANNEL_TYPES,
  DEFAULT_DISCORD_IDS,
  type DiscordRestStandIn,
  type RestGatewayEvent,
  type WireChannel,
} from './discord-rest.ts';

/** Gateway intents the stand-in looks at. */
export const INTENTS = {
  guilds: 1 << 0,
  guildMessages: 1 << 9,
  directMessages: 1 << 12,
  messageContent: 1 << 15,
} as const;

/** Every intent bit Discord defines today; others close the connection with 4013. */
const KNOWN_INTENTS = (1 << 26) - 1;

/** Permissions of everyone in the stand-in guild: view, send, embed, attach, history, commands, threads. */
const MEMBER_PERMISSIONS = String(
  (1n << 10n) |
    (1n << 11n) |
    (1n << 14n) |
    (1n << 15n) |
    (1n << 16n) |
    (1n << 31n) |
    (1n << 35n) |
    (1n << 38n),
);

/** The human who talks to the bot unless a helper is given another user. */
export const DEFAULT_DISCORD_USER: APIUser = {
  id: DEFAULT_DISCORD_IDS.user,
  username: 'alice',
  discriminator: '0',
  global_name: 'Alice',
  avatar: null,
};

export interface DiscordGatewayStandInOptions {
  /** Where identity, guilds and messages live; interactions sent here are registered there. */
  rest: DiscordRestStandIn;
  /** `heartbeat_interval` in HELLO; default 41250 ms, as Discord sends. */
  heartbeatIntervalMs?: number;
}

/** The `d` of an op 2 IDENTIFY. */
export interface IdentifyPayload {
  token: string;
  intents: number;
  properties?: Record<string, string>;
  compress?: boolean;
  shard?: [number, number];
  large_threshold?: number;
  presence?: unknown;
}

/** The `d` of an op 6 RESUME. */
export interface ResumePayload {
  token: string;
  session_id: string;
  seq: number | null;
}

export interface MessageCreateFields {
  content: string;
  /** Default the stand-in's text channel. A channel the REST stand-in does not know, without `guildId`, is a DM. */
  channelId?: string;
  guildId?: string;
  /** Default {@link DEFAULT_DISCORD_USER}. */
  author?: Partial<APIUser>;
  /** Default: the users whose `<@id>` the content holds, among the bot and the author. */
  mentions?: APIUser[];
  /** Default: the roles whose `<@&id>` the content holds. */
  mentionRoles?: string[];
}

export interface SlashCommandFields {
  name: string;
  options?: APIApplicationCommandInteractionDataOption[];
  user?: Partial<APIUser>;
  channelId?: string;
  guildId?: string;
}

export interface ButtonClickFields {
  customId: string;
  /** The message the button is on (or its id): the REST stand-in's stored version is sent. */
  message: APIMessage | string;
  user?: Partial<APIUser>;
  /** Default the message's channel. */
  channelId?: string;
}

export interface SentInteraction {
  id: string;
  token: string;
}

export interface DiscordGatewayStandIn {
  /** `ws://127.0.0.1:P`; already handed to the REST stand-in for `GET /gateway/bot`. */
  readonly url: string;
  /** Open connections. */
  readonly connections: number;
  /** Query of each connection, e.g. `{v:'10', encoding:'json'}` (a `compress` asked for is ignored). */
  readonly connectionQueries: Array<Record<string, string>>;
  readonly identifies: IdentifyPayload[];
  readonly resumes: ResumePayload[];
  /** Heartbeats received (each answered with op 11). */
  readonly heartbeats: number;
  /** Close codes the stand-in closed connections with, in order. */
  readonly closeCodes: number[];
  /** Resolves with the `count`th IDENTIFY once it has arrived. */
  waitForIdentify(count?: number, timeoutMs?: number): Promise<IdentifyPayload>;
  /** Sends a dispatch (op 0) with the session's next sequence number to every session. */
  dispatch(event: string, data: unknown): void;
  /** A user's message: stored in the REST stand-in, then MESSAGE_CREATE as the intents allow. */
  messageCreate(fields: MessageCreateFields): APIMessage;
  /** MESSAGE_CREATE of a message sent before, again (same id), as Discord may deliver it twice. */
  redeliver(message: APIMessage): void;
  /** INTERACTION_CREATE of a chat input command (type 2). */
  slashCommand(fields: SlashCommandFields): SentInteraction;
  /** INTERACTION_CREATE of a button (type 3, component_type 2). */
  buttonClick(fields: ButtonClickFields): SentInteraction;
  /** Closes every connection with `code` (default 4000, after which clients resume). */
  disconnectAll(code?: number): void;
  close(): Promise<void>;
}

interface Session {
  id: string;
  intents: number;
  sequence: number;
  /** Dispatches sent so far, replayed after a RESUME from the client's last sequence. */
  sent: Array<{ s: number; t: string; d: unknown }>;
  socket: WebSocket | undefined;
}

/**
 * A local Discord gateway (v10, JSON, uncompressed) on 127.0.0.1: HELLO, heartbeat acks,
 * IDENTIFY with token and intent checks, READY then GUILD_CREATE per guild, RESUME with replay,
 * and the dispatches a test triggers. Messages and interactions go through the REST stand-in.
 */
export async function startDiscordGateway(
  opts: DiscordGatewayStandInOptions,
): Promise<DiscordGatewayStandIn> {
  const { rest } = opts;
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 41_250;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  rest.setGatewayUrl(url);
  const sessions = new Map<string, Session>();
  const open = new Set<WebSocket>();
  const connectionQueries: Array<Record<string, string>> = [];
  const identifies: IdentifyPayload[] = [];
  const resumes: ResumePayload[] = [];
  const closeCodes: number[] = [];
  const identifyWaiters = new Set<() => void>();
  let heartbeats = 0;

  const closeWith = (socket: WebSocket, code: number, reason: string) => {
    closeCodes.push(code);
    socket.close(code, reason);
  };
  const send = (socket: WebSocket, payload: Record<string, unknown>) => {
    socket.send(JSON.stringify({ s: null, t: null, ...payload }));
  };
  const dispatchTo = (session: Session, t: string, d: unknown) => {
    session.sequence += 1;
    const event = { s: session.sequence, t, d };
    session.sent.push(event);
    if (session.socket) send(session.socket, { op: 0, ...event });
  };
  /** Sends to each session whatever `dataFor` gives it; undefined means its intents exclude it. */
  const dispatchEach = (t: string, dataFor: (session: Session) => unknown) => {
    if (sessions.size === 0) throw new Error(`No Discord gateway session to dispatch ${t} to`);
    for (const session of sessions.values()) {
      const d = dataFor(session);
      if (d !== undefined) dispatchTo(session, t, d);
    }
  };

  wss.on('connection', (socket, req) => {
    open.add(socket);
    const query = Object.fromEntries(new URL(req.url ?? '/', url).searchParams);
    connectionQueries.push(query);
    let session: Session | undefined;
    socket.on('close', (code) => {
      open.delete(socket);
      if (session?.socket === socket) session.socket = undefined;
      // A client closing with 1000 or 1001 ends its session; any other code keeps it resumable.
      if (session && (code === 1000 || code === 1001)) sessions.delete(session.id);
    });
    // Every frame goes out as uncompressed JSON text, even if `compress=zlib-stream` (or identify's
    // `compress`) was asked for: @discordjs/ws parses text frames as JSON whatever it asked for, and
    // discord.js 14 asks for no compression at all unless zlib-sync is installed.
    if (query.v !== '10') return closeWith(socket, 4012, 'Invalid API version');
    if ((query.encoding ?? 'json') !== 'json')
      return closeWith(socket, 4002, 'Error while decoding payload.');
    send(socket, {
      op: 10,
      d: { heartbeat_interval: heartbeatIntervalMs, _trace: ['["gateway-stand-in"]'] },
    });

    socket.on('message', (data, isBinary) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        // With encoding=json, clients send text frames only (ETF would come as binary).
        if (isBinary) throw new Error('binary frame');
        payload = JSON.parse(String(data)) as typeof payload;
      } catch {
        return closeWith(socket, 4002, 'Error while decoding payload.');
      }
      switch (payload.op) {
        case 1:
          heartbeats += 1;
          return send(socket, { op: 11 });
        case 2: {
          if (session) return closeWith(socket, 4005, 'Already authenticated.');
          const identify = payload.d as IdentifyPayload;
          identifies.push(identify);
          for (const wake of identifyWaiters) wake();
          const refusal = refuseIdentify(identify);
          if (refusal) return closeWith(socket, refusal.code, refusal.reason);
          session = {
            id: randomUUID().replaceAll('-', ''),
            intents: identify.intents,
            sequence: 0,
            sent: [],
            socket,
          };
          sessions.set(session.id, session);
          dispatchTo(session, 'READY', ready(session));
          for (const guild of rest.guilds) dispatchTo(session, 'GUILD_CREATE', guildCreate(guild.id));
          return;
        }
        case 6: {
          const resume = payload.d as ResumePayload;
          resumes.push(resume);
          if (resume.token !== rest.token) return closeWith(socket, 4004, 'Authentication failed.');
          const resumed = sessions.get(resume.session_id);
          // Discord answers an unknown session with op 9 (false: not resumable), then the client identifies.
          if (!resumed) return send(socket, { op: 9, d: false });
          session = resumed;
          session.socket = socket;
          for (const missed of session.sent.filter((e) => e.s > (resume.seq ?? 0))) {
            send(socket, { op: 0, ...missed });
          }
          return dispatchTo(session, 'RESUMED', { _trace: ['["gateway-stand-in"]'] });
        }
        case 3: // presence update
        case 4: // voice state update
        case 8: // request guild members
          return session ? undefined : closeWith(socket, 4003, 'Not authenticated.');
        default:
          return closeWith(socket, 4001, 'Unknown opcode.');
      }
    });
  });

  function refuseIdentify(identify: IdentifyPayload): { code: number; reason: string } | undefined {
    if (identify.token !== rest.token) return { code: 4004, reason: 'Authentication failed.' };
    if (identify.shard && (identify.shard[1] !== 1 || identify.shard[0] !== 0)) {
      return { code: 4010, reason: 'Invalid shard.' };
    }
    if (!Number.isInteger(identify.intents) || (identify.intents & ~KNOWN_INTENTS) !== 0) {
      return { code: 4013, reason: 'Invalid intent(s).' };
    }
    if ((identify.intents & INTENTS.messageContent) !== 0 && !rest.messageContentAllowed) {
      return { code: 4014, reason: 'Disallowed intent(s).' };
    }
    return undefined;
  }

  function ready(session: Session) {
    return {
      v: 10,
      user_settings: {},
      user: { ...rest.botUser, verified: true, mfa_enabled: false, flags: 0 },
      guilds: rest.guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: url,
      shard: [0, 1],
      application: { id: rest.applicationId, flags: rest.messageContentAllowed ? 1 << 19 : 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['rotterdam'],
      _trace: ['["gateway-stand-in"]'],
    };
  }

  /** A full guild as the first GUILD_CREATE brings it; discord.js caches its channels from it. */
  function guildCreate(guildId: string) {
    const guild = rest.guilds.find((g) => g.id === guildId);
    const all = rest.guildChannels(guildId);
    const isThread = (c: WireChannel) =>
      c.type === CHANNEL_TYPES.publicThread || c.type === CHANNEL_TYPES.privateThread;
    const joinedAt = new Date(rest.now()).toISOString();
    return {
      id: guildId,
      name: guild?.name ?? 'guild',
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: DEFAULT_DISCORD_IDS.user,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 1,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      premium_tier: 0,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: 'en-US',
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      application_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      features: [],
      max_members: 500_000,
      max_video_channel_users: 25,
      joined_at: joinedAt,
      large: false,
      unavailable: false,
      member_count: 2,
      roles: [
        {
          id: guildId,
          name: '@everyone',
          color: 0,
          hoist: false,
          position: 0,
          permissions: MEMBER_PERMISSIONS,
          managed: false,
          mentionable: false,
          flags: 0,
        },
      ],
      members: [member(rest.botUser, joinedAt)],
      // GUILD_CREATE channels carry no guild_id; discord.js fills it in from the guild.
      channels: all.filter((c) => !isThread(c)).map(({ guild_id: _guildId, ...channel }) => channel),
      threads: all.filter(isThread),
      emojis: [],
      stickers: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  function member(user: APIUser, joinedAt: string) {
    return {
      user,
      nick: null,
      avatar: null,
      roles: [],
      joined_at: joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      pending: false,
      flags: 0,
      communication_disabled_until: null,
    };
  }

  /** MESSAGE_* for a session: only with the guild or DM messages intent, content only when allowed. */
  function messageEventFor(session: Session, message: APIMessage, extra: Record<string, unknown>) {
    const channel = rest.channel(message.channel_id);
    const guildId = channel?.guild_id;
    if ((session.intents & (guildId ? INTENTS.guildMessages : INTENTS.directMessages)) === 0)
      return undefined;
    const contentVisible =
      (session.intents & INTENTS.messageContent) !== 0 ||
      !guildId ||
      message.author.id === rest.botUser.id ||
      message.mentions.some((u) => u.id === rest.botUser.id);
    return {
      ...message,
      ...(contentVisible ? {} : { content: '', embeds: [], attachments: [], components: [] }),
      ...(guildId ? { guild_id: guildId } : {}),
      channel_type: channel?.type,
      ...extra,
    };
  }

  const unsubscribe = rest.onGatewayEvent((event: RestGatewayEvent) => {
    if (sessions.size === 0) return;
    if (event.t === 'THREAD_CREATE') {
      return dispatchEach(event.t, (session) =>
        (session.intents & INTENTS.guilds) !== 0 ? { ...event.thread, newly_created: true } : undefined,
      );
    }
    if (event.t === 'MESSAGE_DELETE') {
      const guildId = rest.channel(event.message.channel_id)?.guild_id;
      return dispatchEach(event.t, (session) =>
        messageEventFor(session, event.message, {})
          ? {
              id: event.message.id,
              channel_id: event.message.channel_id,
              ...(guildId ? { guild_id: guildId } : {}),
            }
          : undefined,
      );
    }
    dispatchEach(event.t, (session) => messageEventFor(session, event.message, {}));
  });

  const userOf = (user: Partial<APIUser> | undefined): APIUser => ({ ...DEFAULT_DISCORD_USER, ...user });

  /** MESSAGE_CREATE of a user's message, with its author's member object in a guild. */
  function dispatchMessageCreate(message: APIMessage, guildId: string | undefined): void {
    const memberExtra = guildId
      ? { member: { ...member(message.author, message.timestamp), user: undefined } }
      : {};
    dispatchEach('MESSAGE_CREATE', (session) => messageEventFor(session, message, memberExtra));
  }

  /** The fields every INTERACTION_CREATE has; registers the interaction with the REST stand-in. */
  function interactionBase(
    type: number,
    user: APIUser,
    channelId: string,
    guildIdGiven: string | undefined,
    messageId?: string,
  ): Record<string, unknown> & { id: string; token: string; channel_id: string; guild_id?: string } {
    const channel = rest.channel(channelId);
    if (!channel) throw new Error(`The REST stand-in knows no channel ${channelId}`);
    const guildId = guildIdGiven ?? channel.guild_id;
    const interaction = {
      id: rest.snowflake(),
      token: `interaction-token-${randomBytes(24).toString('base64url')}`,
    };
    rest.registerInteraction({ ...interaction, type, channelId, guildId, createdAt: rest.now(), messageId });
    const joinedAt = new Date(rest.now()).toISOString();
    return {
      ...interaction,
      application_id: rest.applicationId,
      type,
      version: 1,
      channel_id: channelId,
      channel,
      ...(guildId
        ? {
            guild_id: guildId,
            guild: { id: guildId, locale: 'en-US', features: [] },
            guild_locale: 'en-US',
            member: { ...member(user, joinedAt), permissions: MEMBER_PERMISSIONS },
            context: 0,
            authorizing_integration_owners: { '0': guildId },
          }
        : // In the bot's DM, the guild installation's owner is given as "0".
          { user, context: 1, authorizing_integration_owners: { '0': '0' } }),
      locale: 'en-US',
      app_permissions: MEMBER_PERMISSIONS,
      entitlements: [],
      attachment_size_limit: 10 * 1024 * 1024,
    };
  }

  return {
    url,
    get connections() {
      return open.size;
    },
    connectionQueries,
    identifies,
    resumes,
    get heartbeats() {
      return heartbeats;
    },
    closeCodes,
    waitForIdentify(count = 1, timeoutMs = 5_000) {
      return new Promise<IdentifyPayload>((resolve, reject) => {
        const wake = () => {
          const identify = identifies[count - 1];
          if (!identify) return;
          clearTimeout(timer);
          identifyWaiters.delete(wake);
          resolve(identify);
        };
        const timer = setTimeout(() => {
          identifyWaiters.delete(wake);
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for IDENTIFY #${count}`));
        }, timeoutMs);
        identifyWaiters.add(wake);
        wake();
      });
    },
    dispatch: (event, data) => dispatchEach(event, () => data),
    messageCreate(fields) {
      const author = userOf(fields.author);
      const channelId = fields.channelId ?? DEFAULT_DISCORD_IDS.channel;
      let channel = rest.channel(channelId);
      if (!channel && !fields.guildId) {
        channel = {
          id: channelId,
          type: CHANNEL_TYPES.dm,
          recipients: [author],
          last_message_id: null,
          flags: 0,
        };
        rest.addDmChannel(channel);
      }
      if (!channel) throw new Error(`The REST stand-in knows no channel ${channelId}`);
      const mentionable = [rest.botUser, author];
      const message: APIMessage = {
        id: rest.snowflake(),
        channel_id: channelId,
        author,
        content: fields.content,
        timestamp: new Date(rest.now()).toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions:
          fields.mentions ?? mentionable.filter((u) => new RegExp(`<@!?${u.id}>`).test(fields.content)),
        mention_roles: fields.mentionRoles ?? [...fields.content.matchAll(/<@&(\d+)>/g)].map((m) => m[1]!),
        attachments: [],
        embeds: [],
        components: [],
        pinned: false,
        type: 0,
        flags: 0 as MessageFlags,
      };
      rest.storeMessage(message);
      channel.last_message_id = message.id;
      dispatchMessageCreate(message, fields.guildId ?? channel.guild_id);
      return message;
    },
    redeliver(message) {
      dispatchMessageCreate(message, rest.channel(message.channel_id)?.guild_id);
    },
    slashCommand(fields) {
      const channelId = fields.channelId ?? DEFAULT_DISCORD_IDS.channel;
      const payload = interactionBase(2, userOf(fields.user), channelId, fields.guildId);
      dispatchEach('INTERACTION_CREATE', () => ({
        ...payload,
        data: {
          id: rest.snowflake(),
          name: fields.name,
          type: 1,
          ...(fields.options ? { options: fields.options } : {}),
          ...(payload.guild_id ? { guild_id: payload.guild_id } : {}),
        },
      }));
      return { id: payload.id, token: payload.token };
    },
    buttonClick(fields) {
      const messageId = typeof fields.message === 'string' ? fields.message : fields.message.id;
      const message = rest.messages.get(messageId);
      if (!message) throw new Error(`The REST stand-in has no message ${messageId}`);
      const channelId = fields.channelId ?? message.channel_id;
      const payload = interactionBase(3, userOf(fields.user), channelId, undefined, messageId);
      dispatchEach('INTERACTION_CREATE', () => ({
        ...payload,
        message,
        data: { custom_id: fields.customId, component_type: 2 },
      }));
      return { id: payload.id, token: payload.token };
    },
    disconnectAll(code = 4000) {
      for (const socket of open) closeWith(socket, code, 'Disconnected by the stand-in');
    },
    async close() {
      unsubscribe();
      for (const socket of open) socket.terminate();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
