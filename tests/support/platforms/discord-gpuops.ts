import type { APIMessage } from 'discord.js';
import { startChatPlatforms } from '../../../src/bots/chat-platforms.ts';
import type { RunningPlatform } from '../../../src/bots/platform.ts';
import type { Simulator } from '../../../src/cloud/sim/index.ts';
import type { Role } from '../../../src/runtime.ts';
import { startTestGpuops, type TestGpuops } from '../gpuops-harness.ts';
import { waitFor } from '../wait.ts';
import { type DiscordGatewayStandIn, startDiscordGateway } from './discord-gateway.ts';
import {
  DEFAULT_DISCORD_IDS,
  type DiscordRestStandIn,
  type DiscordRestStandInOptions,
  startDiscordRest,
} from './discord-rest.ts';

export interface DiscordStandIns {
  rest: DiscordRestStandIn;
  gateway: DiscordGatewayStandIn;
  /**
   * Moves the stand-ins' clock (interaction expiry, timestamps, snowflakes) `ms` ahead of real
   * time, for good: interaction tokens older than 15 minutes by that clock are refused.
   */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

/** The Discord REST and gateway stand-ins, the REST one on a clock tests can move forward. */
export async function startDiscordStandIns(
  opts: Omit<DiscordRestStandInOptions, 'now'> = {},
): Promise<DiscordStandIns> {
  let skewMs = 0;
  const rest = await startDiscordRest({ ...opts, now: () => Date.now() + skewMs });
  const gateway = await startDiscordGateway({ rest }).catch(async (err: unknown) => {
    await rest.close();
    throw err;
  });
  return {
    rest,
    gateway,
    advanceClock(ms) {
      skewMs += ms;
    },
    async close() {
      await gateway.close();
      await rest.close();
    },
  };
}

export interface DiscordGpuops {
  g: TestGpuops;
  platforms: RunningPlatform[];
  /** Stops the bot (the Discord client, then the runtime) without touching the stand-ins. */
  close(): Promise<void>;
}

/** A gpuops process with Discord on, logged in to the stand-ins (READY received) when this resolves. */
export async function startDiscordGpuops(
  discord: DiscordStandIns,
  opts: {
    role?: Role;
    env?: Record<string, string>;
    sim?: Simulator;
    /** Another gpuops whose database, queue and simulator this one uses (its workers, say). */
    share?: TestGpuops;
  } = {},
): Promise<DiscordGpuops> {
  const shared = opts.share?.env;
  const sim = opts.sim ?? opts.share?.sim;
  const g = await startTestGpuops({
    db: 'postgres',
    queue: 'postgres',
    ...(opts.role && { role: opts.role }),
    ...(sim && { sim }),
    env: {
      ...(shared && {
        DATABASE_URL: String(shared.DATABASE_URL),
        GPUOPS_QUEUE_PREFIX: String(shared.GPUOPS_QUEUE_PREFIX),
        GPUOPS_SSH_KEY_PATH: `${shared.GPUOPS_DATA_DIR}/id_ed25519`,
      }),
      DISCORD_TOKEN: discord.rest.token,
      DISCORD_API_URL: discord.rest.url,
      DISCORD_APPLICATION_ID: discord.rest.applicationId,
      ...opts.env,
    },
  });
  let platforms: RunningPlatform[] = [];
  try {
    platforms = await startChatPlatforms({
      config: g.runtime.config,
      chat: g.runtime.chat!,
      db: g.runtime.database.db,
      log: g.runtime.log,
      ...(g.runtime.notices && { notices: g.runtime.notices }),
    });
  } catch (err) {
    await g.close();
    throw err;
  }
  return {
    g,
    platforms,
    async close() {
      await Promise.allSettled(platforms.map((p) => p.close()));
      await g.close();
    },
  };
}

/** Message content that mentions the bot first, as Discord's client writes a mention. */
export function mentioning(text: string): string {
  return `<@${DEFAULT_DISCORD_IDS.application}> ${text}`;
}

/** Another member of the stand-in guild. */
export const BOB = { id: '1400000000000000002', username: 'bob', global_name: 'Bob' } as const;

/** Waits until `find` returns something truthy (it may be async), polling every 25 ms. */
export function eventually<T>(
  what: string,
  find: () => T | Promise<T>,
  // Generous: it returns as soon as the message shows, and a busy two-core machine running the
  // whole suite can take most of a minute to get an operation's last edit through the budget.
  timeoutMs = 60_000,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  return waitFor(find, { what, timeoutMs, intervalMs: 25 });
}

/** What a stored message shows now: its content, then its embeds' descriptions. */
export function shown(message: APIMessage): string {
  return [message.content, ...message.embeds.map((e) => e.description ?? '')]
    .filter((t) => t !== '')
    .join('\n');
}

/** The custom_ids of a stored message's buttons. */
export function buttonsOf(message: APIMessage): string[] {
  return (message.components ?? []).flatMap((row) =>
    'components' in row ? row.components.flatMap((c) => ('custom_id' in c ? [c.custom_id] : [])) : [],
  );
}

/** The bot's messages in a channel or thread, oldest first (ephemeral ones left out). */
export function botMessagesIn(rest: DiscordRestStandIn, channelId: string): APIMessage[] {
  return rest
    .channelMessages(channelId)
    .filter((m) => m.author.id === rest.botUser.id && ((m.flags ?? 0) & (1 << 6)) === 0);
}

/** A deploy's progress message in `channelId` once it shows its final state. */
export function finalDeployIn(rest: DiscordRestStandIn, channelId: string): APIMessage | undefined {
  return botMessagesIn(rest, channelId).find((m) => /^(✅|❌) deploy/.test(shown(m)));
}

/** Progress messages of operations of `kind` in `channelId`, whatever their state. */
export function progressMessagesIn(rest: DiscordRestStandIn, channelId: string, kind: string): APIMessage[] {
  const progress = new RegExp(`^(🕓|⏳|✅|❌|🚫) ${kind}( i-\\d+)? `);
  return botMessagesIn(rest, channelId).filter((m) => progress.test(shown(m)));
}
