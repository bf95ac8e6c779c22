import { App, type Logger as BoltLogger, LogLevel, type Receiver, SocketModeReceiver } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import type { PlatformDeps } from '../platform.ts';
import { EarlyAckReceiver } from './early-ack-receiver.ts';
import { slackError } from './slack-error.ts';

const CALL_TIMEOUT_MS = 10_000;

export interface SlackConnectionOptions {
  /** Socket Mode's keep-alive ping timeout, which is also its reconnect delay (default 5 s). */
  socketPingTimeoutMs?: number;
}

/**
 * gpuops's Bolt App and the receiver that brings it Slack's events: Socket Mode when
 * SLACK_APP_TOKEN is set; otherwise HTTP on the process's server at /slack/events, with Slack's
 * request signing checked (EarlyAckReceiver). Transport only: listeners are added by the bot.
 */
export class SlackConnection {
  private constructor(
    readonly app: App,
    /** The bot's own user id ('' when Slack did not say). */
    readonly botUserId: string,
    /** The workspace the bot token belongs to. */
    readonly team: string | undefined,
    readonly socketMode: boolean,
  ) {}

  /** Checks the bot token with Slack first, so a wrong one stops start-up with what to do. */
  static async open(
    deps: Pick<PlatformDeps, 'config' | 'mountHttp'>,
    log: Logger,
    options: SlackConnectionOptions = {},
  ): Promise<SlackConnection> {
    const slack = deps.config.slack;
    if (!slack) throw new GpuopsError(ErrorCode.ConfigInvalid, 'SLACK_BOT_TOKEN is not set.');
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
    app.error(async (err) => {
      log.warn({ err }, 'Slack listener error');
    });
    return new SlackConnection(app, botUserId, identity.team_id, socketMode);
  }

  /** Opens Socket Mode's WebSocket; over HTTP, events already come through the process's server. */
  async start(): Promise<void> {
    if (this.socketMode) await this.app.start();
  }

  async check(): Promise<string> {
    const who = await this.app.client.auth.test();
    return `${this.socketMode ? 'Socket Mode' : 'HTTP at /slack/events'}; team ${who.team ?? who.team_id}`;
  }

  async stop(): Promise<void> {
    // Shutting down: a socket that will not close cleanly is dropped with the process.
    if (this.socketMode) await this.app.stop().catch(() => undefined);
  }
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
