import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, Partials } from 'discord.js';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';

/**
 * The intents gpuops asks for. Message Content is privileged: turn it on under the application's
 * Bot settings, or Discord closes the connection (4014) and mentions arrive without their text.
 */
const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

const READY_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 15_000;

/**
 * gpuops's discord.js client: the gateway that brings Discord's events and the REST API that
 * every post and edit goes through. Transport only: listeners are added by the bot.
 */
export class DiscordConnection {
  readonly client: Client;

  constructor(
    private readonly discord: NonNullable<Config['discord']>,
    log: Logger,
  ) {
    this.client = new Client({
      intents: DISCORD_INTENTS,
      partials: [Partials.Channel],
      rest: { ...(discord.apiUrl && { api: discord.apiUrl }), timeout: CALL_TIMEOUT_MS, retries: 3 },
    });
    this.client.on(Events.Error, (err) => log.warn({ err }, 'Discord client error'));
  }

  /**
   * Logs in and waits for the gateway's READY. On failure the client is destroyed and the error
   * says what to fix (the intent, the token, or the address).
   */
  async login(): Promise<void> {
    const { client } = this;
    const ready = once(client, Events.ClientReady);
    // Not awaited when login fails; a client error after that must not be an unhandled rejection.
    ready.catch(() => undefined);
    try {
      await client.login(this.discord.token);
      await Promise.race([
        ready,
        new Promise((_, reject) =>
          setTimeout(
            () => reject(new Error(`not ready in ${READY_TIMEOUT_MS / 1000} s`)),
            READY_TIMEOUT_MS,
          ).unref(),
        ),
      ]);
    } catch (err) {
      // The login already failed; a client that will not close cleanly is dropped with it.
      await client.destroy().catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      const hint = /disallowed intents/i.test(message)
        ? 'Turn on "Message Content Intent" under Bot in the Discord developer portal.'
        : /token/i.test(message)
          ? 'Copy the token from Bot → Reset Token in the Discord developer portal into DISCORD_TOKEN.'
          : 'Check DISCORD_API_URL and the network.';
      throw new GpuopsError(ErrorCode.ConfigInvalid, `Discord login failed (${message}). ${hint}`, {
        cause: err,
      });
    }
  }

  async check(): Promise<string> {
    const { client } = this;
    if (!client.isReady()) throw new Error('not connected to the gateway');
    return `connected as ${client.user.username}; ${client.guilds.cache.size} server(s); ping ${client.ws.ping} ms`;
  }

  async close(): Promise<void> {
    // Stops the gateway (no more requests), but destroy() also drops the REST token, and the
    // follower's shutdown still edits each followed message one last time through it.
    await this.client.destroy();
    this.client.rest.setToken(this.discord.token);
  }
}
