import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export type SocketModeEnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

/** An envelope as Slack sends it over Socket Mode. */
export interface SocketModeEnvelope {
  envelope_id: string;
  type: SocketModeEnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/** The client's acknowledgement: `{envelope_id, payload?}`. */
export interface SocketModeAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface PushOptions {
  /** Default true for slash commands and interactions, false for events (as Slack does). */
  acceptsResponsePayload?: boolean;
  /** Default 3 s: Slack's own ack deadline. */
  ackTimeoutMs?: number;
  retryAttempt?: number;
  retryReason?: string;
}

export interface SlackSocketModeStandInOptions {
  /** Default `A0APP`; sent in `hello.connection_info`. */
  appId?: string;
  /** Interval of server pings; default 0 (none). The client disconnects after 30 s without one. */
  pingIntervalMs?: number;
}

export interface SlackSocketModeStandIn {
  /** A fresh `ws://127.0.0.1:P/link/?ticket=...` each call, for `apps.connections.open`. */
  url(): string;
  /** Connections accepted so far (closed ones included). */
  readonly connectionCount: number;
  /** Every acknowledgement received, in order. */
  readonly acks: SocketModeAck[];
  /** Every non-ack message a client sent (should stay empty). */
  readonly otherMessages: unknown[];
  /**
   * Resolves once `count` connections have been accepted and sent `hello`. The client may not
   * have read the `hello` yet: before stopping it, wait for its own `connected` event.
   */
  waitForConnections(count?: number, timeoutMs?: number): Promise<void>;
  /** Sends an envelope to the newest open connection and resolves with the client's ack. */
  push(
    type: SocketModeEnvelopeType,
    payload: Record<string, unknown>,
    opts?: PushOptions,
  ): Promise<SocketModeAck>;
  /** Sends a ready-made envelope without waiting for its ack. */
  sendEnvelope(envelope: SocketModeEnvelope): void;
  /** Resolves once no connection is open (clients finish their close handshake on their own). */
  waitForNoConnections(timeoutMs?: number): Promise<void>;
  /** Sends `{type:"disconnect", reason}`, as Slack does before recycling a connection. */
  disconnect(reason?: 'warning' | 'refresh_requested' | 'link_disabled'): void;
  /**
   * Gives open clients up to `graceMs` (default 1 s) to finish closing, then cuts the rest.
   * Bolt 5's `app.stop()` resolves before its close handshake ends, hence the grace.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * A local Socket Mode endpoint on 127.0.0.1 speaking Slack's protocol: `hello` on connect,
 * envelopes pushed by the test, acks matched by `envelope_id`, and `disconnect` messages.
 */
export async function startSlackSocketMode(
  opts: SlackSocketModeStandInOptions = {},
): Promise<SlackSocketModeStandIn> {
  const appId = opts.appId ?? 'A0APP';
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as AddressInfo;
  const open: WebSocket[] = [];
  const acks: SocketModeAck[] = [];
  const otherMessages: unknown[] = [];
  const waitingAcks = new Map<string, (ack: SocketModeAck) => void>();
  /** Woken on every connection and every close; each waiter checks its own condition. */
  const connectionWaiters = new Set<() => void>();
  let connectionCount = 0;

  wss.on('connection', (socket) => {
    connectionCount += 1;
    open.push(socket);
    socket.on('close', () => {
      open.splice(open.indexOf(socket), 1);
      for (const wake of connectionWaiters) wake();
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        otherMessages.push(String(data));
        return;
      }
      if (isAck(message)) {
        acks.push(message);
        waitingAcks.get(message.envelope_id)?.(message);
        waitingAcks.delete(message.envelope_id);
      } else {
        otherMessages.push(message);
      }
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: open.length,
        debug_info: { host: 'applink-stand-in', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: appId },
      }),
    );
    for (const wake of connectionWaiters) wake();
  });

  const pinger =
    opts.pingIntervalMs && opts.pingIntervalMs > 0
      ? setInterval(() => {
          for (const socket of open) socket.ping();
        }, opts.pingIntervalMs)
      : undefined;

  const newest = (): WebSocket => {
    const socket = open.at(-1);
    if (!socket) throw new Error('No Socket Mode client is connected to the stand-in');
    return socket;
  };

  const until = (done: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        connectionWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        connectionWaiters.delete(wake);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      connectionWaiters.add(wake);
    });
  };

  const sendEnvelope = (envelope: SocketModeEnvelope) => newest().send(JSON.stringify(envelope));

  return {
    url: () => `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}&app_id=${appId}`,
    get connectionCount() {
      return connectionCount;
    },
    acks,
    otherMessages,
    waitForConnections: (count = 1, timeoutMs = 5_000) =>
      until(() => connectionCount >= count, timeoutMs, `${count} Socket Mode connection(s)`),
    waitForNoConnections: (timeoutMs = 5_000) =>
      until(() => open.length === 0, timeoutMs, 'Socket Mode clients to disconnect'),
    push(type, payload, pushOpts = {}) {
      const envelope: SocketModeEnvelope = {
        envelope_id: randomUUID(),
        type,
        payload,
        accepts_response_payload: pushOpts.acceptsResponsePayload ?? type !== 'events_api',
        ...(pushOpts.retryAttempt !== undefined ? { retry_attempt: pushOpts.retryAttempt } : {}),
        ...(pushOpts.retryReason !== undefined ? { retry_reason: pushOpts.retryReason } : {}),
      };
      const timeoutMs = pushOpts.ackTimeoutMs ?? 3_000;
      let socket: WebSocket;
      try {
        socket = newest();
      } catch (err) {
        return Promise.reject(err);
      }
      const acked = new Promise<SocketModeAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          waitingAcks.delete(envelope.envelope_id);
          reject(new Error(`No ack for ${type} envelope ${envelope.envelope_id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waitingAcks.set(envelope.envelope_id, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
      });
      socket.send(JSON.stringify(envelope));
      return acked;
    },
    sendEnvelope,
    disconnect(reason = 'refresh_requested') {
      newest().send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-stand-in' } }));
    },
    async close(graceMs = 1_000) {
      if (pinger) clearInterval(pinger);
      await until(() => open.length === 0, graceMs, '').catch(() => undefined);
      for (const socket of [...open]) socket.terminate();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/**
 * The `payload` of an `events_api` envelope: an Events API `event_callback` around `event`.
 */
export function eventCallback(
  event: Record<string, unknown>,
  ids: { teamId?: string; appId?: string; botUserId?: string } = {},
): Record<string, unknown> {
  const teamId = ids.teamId ?? 'T0TEAM';
  return {
    token: 'verification-token-unused-in-socket-mode',
    team_id: teamId,
    api_app_id: ids.appId ?? 'A0APP',
    event: { event_ts: event.ts, ...event },
    type: 'event_callback',
    event_id: `Ev${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: ids.botUserId ?? 'U0BOT', is_bot: true },
    ],
    is_ext_shared_channel: false,
  };
}

let triggerSeq = 0;

/** The `payload` of a `slash_commands` envelope (the same fields Slack form-encodes over HTTP). */
export function slashCommand(fields: {
  command: string;
  text: string;
  userId?: string;
  channelId?: string;
  teamId?: string;
  responseUrl?: string;
}): Record<string, string> {
  return {
    token: 'verification-token-unused-in-socket-mode',
    team_id: fields.teamId ?? 'T0TEAM',
    team_domain: 'stand-in',
    channel_id: fields.channelId ?? 'C0CHAN',
    channel_name: 'gpu-ops',
    user_id: fields.userId ?? 'U0USER',
    user_name: 'alice',
    command: fields.command,
    text: fields.text,
    api_app_id: 'A0APP',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl ?? 'https://hooks.slack.com/commands/T0TEAM/1/stand-in',
    // Unique per command, as Slack's are: gpuops takes each trigger once.
    trigger_id: `${Date.now()}.${++triggerSeq}.stand-in`,
  };
}

function isAck(message: unknown): message is SocketModeAck {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { envelope_id?: unknown }).envelope_id === 'string'
  );
}
