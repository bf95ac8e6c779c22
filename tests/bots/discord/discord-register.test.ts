import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPUOPS_DEV_BIN, runBin } from '../../support/cli.ts';
import {
  DEFAULT_DISCORD_IDS,
  type DiscordRestStandIn,
  startDiscordRest,
} from '../../support/platforms/discord-rest.ts';

describe('gpuops discord register', () => {
  let rest: DiscordRestStandIn;
  beforeAll(async () => {
    rest = await startDiscordRest();
  });
  afterAll(async () => {
    await rest?.close();
  });

  const env = () => ({
    DISCORD_TOKEN: rest.token,
    DISCORD_APPLICATION_ID: rest.applicationId,
    DISCORD_API_URL: rest.url,
    LOG_LEVEL: 'silent',
  });

  it('registers /gpu with its one string option, request, in a server and globally', async () => {
    const inGuild = await runBin(
      GPUOPS_DEV_BIN,
      ['discord', 'register', '--guild', DEFAULT_DISCORD_IDS.guild],
      env(),
    );
    expect(inGuild).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`server ${DEFAULT_DISCORD_IDS.guild}`),
    });
    const [command] = rest.commands.guilds.get(DEFAULT_DISCORD_IDS.guild) ?? [];
    expect(command).toMatchObject({
      name: 'gpu',
      options: [{ type: 3, name: 'request', required: true }],
    });
    const global = await runBin(GPUOPS_DEV_BIN, ['discord', 'register'], env());
    expect(global.code).toBe(0);
    expect(rest.commands.global.map((c) => c.name)).toEqual(['gpu']);
  }, 60_000);

  it('says what is missing or wrong, and registers nothing', async () => {
    const before = rest.calls.length;
    const noApp = await runBin(GPUOPS_DEV_BIN, ['discord', 'register'], {
      ...env(),
      DISCORD_APPLICATION_ID: '',
    });
    expect(noApp.code).not.toBe(0);
    expect(noApp.stderr).toContain('DISCORD_APPLICATION_ID');
    const badGuild = await runBin(GPUOPS_DEV_BIN, ['discord', 'register', '--guild', 'general'], env());
    expect(badGuild.code).not.toBe(0);
    expect(badGuild.stderr).toContain('--guild takes a server id');
    expect(rest.calls.length).toBe(before);
    const badToken = await runBin(GPUOPS_DEV_BIN, ['discord', 'register'], {
      ...env(),
      DISCORD_TOKEN: 'wrong',
    });
    expect(badToken.code).not.toBe(0);
    expect(badToken.stderr).toContain('Discord refused the command registration');
  }, 60_000);
});
