import type { AddressInfo } from 'node:net';
import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { signSlackRequest, slackFormBody } from '../../support/platforms/slack-signing.ts';
import {
  eventCallback,
  slashCommand,
  startSlackSocketMode,
} from '../../support/platforms/slack-socket-mode.ts';
import { type SlackWebApiStandIn, startSlackWebApi } from '../../support/platforms/slack-web-api.ts';
import { waitFor } from '../../support/wait.ts';

/** Small and bounded, so a test that goes wrong fails fast instead of retrying for 30 minutes. */
const quickRetries = { retries: 2, minTimeout: 10, maxTimeout: 50 };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  // Last started, first stopped: the App before the servers it talks to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function webApi(): Promise<SlackWebApiStandIn> {
  const api = await startSlackWebApi();
  cleanups.push(() => api.close());
  return api;
}

describe('the Slack Web API stand-in', () => {
  it('lets the real WebClient post and update a message, and records both calls', async () => {
    const api = await webApi();
    const client = new WebClient(api.options.botToken, { slackApiUrl: api.url, retryConfig: quickRetries });

    const posted = await client.chat.postMessage({
      channel: 'C0CHAN',
      text: 'deploying',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*deploying*' } }],
    });
    expect(posted.ok).toBe(true);
    expect(posted.channel).toBe('C0CHAN');
    expect(posted.ts).toBe('1700000000.000100');
    expect(posted.message?.text).toBe('deploying');
    const updated = await client.chat.update({ channel: 'C0CHAN', ts: posted.ts!, text: 'deployed' });
    expect(updated).toMatchObject({ ok: true, channel: 'C0CHAN', ts: posted.ts, text: 'deployed' });
    const second = await client.chat.postMessage({ channel: 'C0CHAN', text: 'again', thread_ts: posted.ts! });
    expect(Number(second.ts)).toBeGreaterThan(Number(posted.ts));

    expect(api.callsTo('chat.postMessage')[0]).toMatchObject({
      token: api.options.botToken,
      contentType: expect.stringContaining('application/x-www-form-urlencoded'),
      body: { channel: 'C0CHAN', text: 'deploying', blocks: [{ type: 'section' }] },
    });
    expect(api.callsTo('chat.update')[0]?.body).toMatchObject({ ts: posted.ts, text: 'deployed' });
    expect(api.messages('C0CHAN').map((m) => m.text)).toEqual(['deployed', 'again']);
    const thread = await client.conversations.replies({ channel: 'C0CHAN', ts: posted.ts! });
    expect(thread.messages?.map((m) => m.text)).toEqual(['deployed', 'again']);
  });

  it('answers an ephemeral message and a JSON body the way Slack does', async () => {
    const api = await webApi();
    const client = new WebClient(api.options.botToken, { slackApiUrl: api.url, retryConfig: quickRetries });
    const ephemeral = await client.chat.postEphemeral({
      channel: 'C0CHAN',
      user: 'U0USER',
      text: 'only you',
    });
    expect(ephemeral).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d{10}\.\d{6}$/) });

    const res = await fetch(`${api.url}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.options.botToken}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ channel: 'C0CHAN', text: 'as json' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0CHAN', message: { text: 'as json' } });
  });

  it('refuses a wrong token with invalid_auth and an app token with not_allowed_token_type', async () => {
    const api = await webApi();
    const wrong = new WebClient('xoxb-wrong', { slackApiUrl: api.url, retryConfig: quickRetries });
    await expect(wrong.auth.test()).rejects.toMatchObject({ data: { ok: false, error: 'invalid_auth' } });
    const appLevel = new WebClient(api.options.appToken, { slackApiUrl: api.url, retryConfig: quickRetries });
    await expect(appLevel.chat.postMessage({ channel: 'C0CHAN', text: 'x' })).rejects.toMatchObject({
      data: { error: 'not_allowed_token_type' },
    });
    await expect(
      new WebClient(api.options.botToken, { slackApiUrl: api.url, retryConfig: quickRetries }).chat.update({
        channel: 'C0CHAN',
        ts: '1.2',
        text: 'x',
      }),
    ).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });

  it('answers 429 with retry-after, and WebClient waits it out before retrying', async () => {
    const api = await webApi();
    const client = new WebClient(api.options.botToken, {
      slackApiUrl: api.url,
      retryConfig: quickRetries,
      logLevel: LogLevel.ERROR,
    });
    const rateLimited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimited.push(seconds));
    api.rateLimit('chat.postMessage', 1, 1);

    const started = Date.now();
    const posted = await client.chat.postMessage({ channel: 'C0CHAN', text: 'patient' });
    const elapsed = Date.now() - started;

    expect(posted.ok).toBe(true);
    expect(rateLimited).toEqual([1]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5_000);
    expect(api.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.rateLimited)).toEqual([
      true,
      false,
    ]);
  });
});

describe('the Socket Mode stand-in', () => {
  /** A Bolt App in Socket Mode against both stand-ins, stopped after the test. */
  async function socketModeApp() {
    const api = await webApi();
    const socket = await startSlackSocketMode();
    cleanups.push(() => socket.close());
    api.setSocketModeUrl(() => socket.url());
    const app = new App({
      token: api.options.botToken,
      appToken: api.options.appToken,
      socketMode: true,
      logLevel: LogLevel.ERROR,
      // Reaches the App's WebClient and, through installerOptions, the SocketModeClient's
      // WebClient that calls apps.connections.open.
      clientOptions: { slackApiUrl: api.url, retryConfig: quickRetries },
    });
    return { api, socket, app };
  }

  it('delivers an app_mention to a Bolt app in Socket Mode, which acks and answers with say()', async () => {
    const { api, socket, app } = await socketModeApp();
    app.event('app_mention', async ({ event, say }) => {
      await say({ text: `heard: ${event.text}`, thread_ts: event.ts });
    });
    await app.start();
    cleanups.push(() => app.stop());
    await socket.waitForConnections(1);
    expect(api.callsTo('apps.connections.open')[0]?.token).toBe(api.options.appToken);

    const root = await new WebClient(api.options.botToken, { slackApiUrl: api.url }).chat.postMessage({
      channel: 'C0CHAN',
      text: 'thread root',
    });
    const ack = await socket.push(
      'events_api',
      eventCallback({
        type: 'app_mention',
        user: 'U0USER',
        text: '<@U0BOT> list gpus',
        ts: root.ts,
        channel: 'C0CHAN',
      }),
    );
    expect(ack.envelope_id).toEqual(expect.any(String));

    const reply = await waitFor(() => api.callsTo('chat.postMessage')[1], { what: 'the say() reply' });
    expect(reply.token).toBe(api.options.botToken);
    expect(reply.body).toMatchObject({
      channel: 'C0CHAN',
      text: 'heard: <@U0BOT> list gpus',
      thread_ts: root.ts,
    });
  });

  it('carries a slash command, and the ack payload Bolt sends back', async () => {
    const { socket, app } = await socketModeApp();
    app.command('/gpu', async ({ command, ack }) => {
      await ack({ response_type: 'ephemeral', text: `on it: ${command.text}` });
    });
    await app.start();
    cleanups.push(() => app.stop());
    await socket.waitForConnections(1);

    const ack = await socket.push('slash_commands', slashCommand({ command: '/gpu', text: 'list' }));
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: 'on it: list' });
  });

  it('times out a push that the app never acks', async () => {
    const { socket, app } = await socketModeApp();
    app.command('/slow', async () => {
      // Never acks: the stand-in must give up on its own.
    });
    await app.start();
    cleanups.push(() => app.stop());
    await socket.waitForConnections(1);

    await expect(
      socket.push('slash_commands', slashCommand({ command: '/slow', text: '' }), { ackTimeoutMs: 200 }),
    ).rejects.toThrow(/No ack for slash_commands envelope/);
  });

  it('sends disconnect, after which the Bolt client opens a new connection', async () => {
    const api = await webApi();
    const socket = await startSlackSocketMode();
    cleanups.push(() => socket.close());
    api.setSocketModeUrl(() => socket.url());
    const clientOptions = { slackApiUrl: api.url, retryConfig: quickRetries };
    // App's own options cannot set clientPingTimeout, which is also the reconnect delay (5 s).
    const receiver = new SocketModeReceiver({
      appToken: api.options.appToken,
      clientPingTimeout: 300,
      logLevel: LogLevel.ERROR,
      installerOptions: { clientOptions },
    });
    const app = new App({ token: api.options.botToken, receiver, logLevel: LogLevel.ERROR, clientOptions });
    let helloCount = 0;
    receiver.client.on('connected', () => {
      helloCount += 1;
    });
    await app.start();
    cleanups.push(() => app.stop());

    socket.disconnect('refresh_requested');
    // Wait for the client's own `connected` (hello handled): stopping an App whose socket is still
    // opening makes the Socket Mode client reject a promise nobody awaits.
    await waitFor(() => helloCount >= 2, { what: 'the client to reconnect' });
    expect(socket.connectionCount).toBe(2);
    expect(api.callsTo('apps.connections.open')).toHaveLength(2);
  });

  it('refuses a push when no client is connected', async () => {
    const socket = await startSlackSocketMode();
    cleanups.push(() => socket.close());
    await expect(socket.push('events_api', eventCallback({ type: 'app_mention' }))).rejects.toThrow(
      /No Socket Mode client/,
    );
  });
});

describe('the Slack request signer', () => {
  it('signs requests that Bolt’s HTTP receiver accepts, and a wrong secret gets 401', async () => {
    const api = await webApi();
    const signingSecret = 'stand-in-signing-secret';
    const app = new App({
      signingSecret,
      token: api.options.botToken,
      botId: api.options.botId,
      botUserId: api.options.botUserId,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: api.url, retryConfig: quickRetries },
    });
    app.command('/gpu', async ({ command, ack }) => {
      await ack(`pong ${command.text}`);
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.stop());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;

    const challenge = JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' });
    const verified = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackRequest(signingSecret, challenge) },
      body: challenge,
    });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual({ challenge: 'c-123' });

    const command = slackFormBody({
      command: '/gpu',
      text: 'list',
      user_id: 'U0USER',
      channel_id: 'C0CHAN',
      team_id: api.options.teamId,
      response_url: `${api.url}response`,
      trigger_id: '1.2.3',
    });
    const accepted = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest(signingSecret, command),
      },
      body: command,
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain('pong list');

    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest('not-the-secret', command),
      },
      body: command,
    });
    expect(forged.status).toBe(401);

    const stale = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest(signingSecret, command, Math.floor(Date.now() / 1000) - 6 * 60),
      },
      body: command,
    });
    expect(stale.status).toBe(401);
  });
});
