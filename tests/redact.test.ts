import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../src/errors.ts';
import { createLogger } from '../src/log.ts';
import { REDACTED, redact, redactDeep, rememberSecrets } from '../src/redact.ts';

/** A fresh random secret per test, so one test's registration cannot make another pass. */
const secret = (prefix = '') => `${prefix}${randomBytes(30).toString('base64url')}`;

describe('redaction of secrets', () => {
  it('removes a configured secret wherever it appears, and any 8-character piece of it', () => {
    const key = secret();
    rememberSecrets(key);
    expect(redact(`Incorrect API key provided: ${key}.`)).toBe(`Incorrect API key provided: ${REDACTED}.`);
    // Clipped by a server, or quoted in part.
    expect(redact(`key ${key.slice(0, 12)}… was refused`)).toBe(`key ${REDACTED}… was refused`);
    expect(redact(`ends in ${key.slice(-9)}`)).toBe(`ends in ${REDACTED}`);
    // The URL-encoded form, as it appears in a query string.
    const awkward = `${secret()}/+=`;
    rememberSecrets(awkward);
    expect(redact(`?token=${encodeURIComponent(awkward)}`)).not.toContain(awkward.slice(0, 8));
  });

  it('leaves values too short to be secrets alone, so ordinary words survive', () => {
    rememberSecrets('secret', 'test', undefined, '   ');
    expect(redact('the signing secret is a test')).toBe('the signing secret is a test');
  });

  it('removes credentials by their shape even when nobody configured them', () => {
    const cases: Array<[string, string]> = [
      ['Incorrect API key provided: sk-proj-abc123DEF456ghi789', `Incorrect API key provided: ${REDACTED}`],
      ['OpenAI masks it: sk-proj-ab12************************wxyz', `OpenAI masks it: ${REDACTED}`],
      ['slack said xoxb-1234-5678-abcdefghij', `slack said ${REDACTED}`],
      ['socket mode xapp-1-A01-234-abcdef', `socket mode ${REDACTED}`],
      ['Authorization: Bearer abc.def-ghi_jkl', `Authorization: Bearer ${REDACTED}`],
      ['Authorization: Basic dXNlcjpwYXNz', `Authorization: Basic ${REDACTED}`],
      ['postgres://gpuops:s3cr3t-pw@db:5432/gpuops', `postgres://gpuops:${REDACTED}@db:5432/gpuops`],
      ['redis://:hunter2@cache:6379', `redis://:${REDACTED}@cache:6379`],
      [
        'GET /api/v0/instances/?api_key=abc123def&owner=me',
        `GET /api/v0/instances/?api_key=${REDACTED}&owner=me`,
      ],
      ['VAST_API_KEY=abc123def is wrong', `VAST_API_KEY=${REDACTED} is wrong`],
      ['{"client_secret": "s3cr3t", "ok": true}', `{"client_secret": "${REDACTED}", "ok": true}`],
      ['token MTIzNDU2Nzg5MDEyMzQ1Njc4OTA.GhIjKl.abcdefghijklmnopqrstuvwxyz1234', `token ${REDACTED}`],
      ['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----', `${REDACTED} private key`],
    ];
    for (const [text, expected] of cases) expect(redact(text), text).toBe(expected);
  });

  it("keeps the words and placeholders of gpuops's own help as they are", () => {
    const texts = [
      'Copy the Bot User OAuth Token (xoxb-…) from Basic Information → App-Level Tokens.',
      'correct DATABASE_URL (postgres://user:password@host:5432/database)',
      'a task-manager on the desktop; check OPENAI_API_KEY',
      'set GPUOPS_OFFLINE=true for the offline planner',
    ];
    for (const text of texts) expect(redact(text)).toBe(text);
  });

  it('copies a structure with every string redacted, keys included, and errors reduced to their message', () => {
    const key = secret('sk-');
    rememberSecrets(key);
    const copy = redactDeep({ text: `said ${key}`, nested: [{ [key]: 1 }], n: 3, err: new Error(key) });
    expect(JSON.stringify(copy)).not.toContain(key.slice(3, 11));
    expect(copy.n).toBe(3);
    expect(copy.err).toEqual({ name: 'Error', message: REDACTED });
  });

  it('takes every secret the environment names from loadConfig, the passwords of database and Redis URLs too', () => {
    const values = {
      OPENAI_API_KEY: secret(),
      VAST_API_KEY: secret(),
      SLACK_BOT_TOKEN: secret(),
      SLACK_APP_TOKEN: secret(),
      SLACK_SIGNING_SECRET: secret(),
      DISCORD_TOKEN: secret(),
      AWS_SECRET_ACCESS_KEY: secret(),
      GPUOPS_DASHBOARD_PASSWORD: secret(),
    };
    const dbPassword = secret();
    const redisPassword = secret();
    loadConfig({
      ...values,
      DATABASE_URL: `postgres://gpuops:${dbPassword}@db.internal:5432/gpuops`,
      REDIS_URL: `redis://default:${redisPassword}@cache.internal:6379`,
    });
    for (const value of [...Object.values(values), dbPassword, redisPassword]) {
      expect(redact(`upstream said: ${value}`)).toBe(`upstream said: ${REDACTED}`);
    }
  });

  it('does not repeat the password of a malformed URL setting back in the configuration error', () => {
    const password = secret();
    let message = '';
    try {
      // A space in the host: not a URL, yet the password is plain to see.
      loadConfig({ DATABASE_URL: `postgres://gpuops:${password}@db host:5432/gpuops` });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`DATABASE_URL="postgres://gpuops:${REDACTED}@db host:5432/gpuops"`);
    expect(message).not.toContain(password.slice(0, 8));
  });

  it('gives every GpuopsError a redacted message, however it was built', () => {
    const key = secret();
    rememberSecrets(key);
    const made = new GpuopsError(ErrorCode.ProviderRejected, `vast.ai said: bad key ${key}`);
    expect(made.message).toBe(`vast.ai said: bad key ${REDACTED}`);
    const wrapped = asGpuopsError(new Error(`upstream echoed ${key}`));
    expect(wrapped.message).not.toContain(key.slice(0, 8));
    // The cause is kept as it was: the logger redacts what it writes of it.
    expect((wrapped.cause as Error).message).toContain(key);
  });

  it('writes log lines with secrets removed from messages, errors, causes and any field, as valid JSON', async () => {
    const key = secret('sk-');
    rememberSecrets(key);
    const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-redact-'));
    try {
      const logFile = path.join(dir, 'gpuops.log');
      const log = createLogger({ logLevel: 'debug', logFile });
      const upstream = Object.assign(new Error(`401 Incorrect API key provided: ${key}`), {
        status: 401,
        error: { message: `Incorrect API key provided: ${key}`, code: 'invalid_api_key' },
      });
      log.error(
        { err: new GpuopsError(ErrorCode.LlmAuth, 'refused', { cause: upstream }), body: { echo: key } },
        `the server said ${key}`,
      );
      log.info({ apiKey: 'short', headers: { authorization: `Bearer ${key}` } }, 'request');
      const written = await readFile(logFile, 'utf8');
      const lines = written.trim().split('\n');
      expect(lines).toHaveLength(2);
      for (const line of lines) JSON.parse(line);
      // The cause is written (its message, under the error's), only without the key.
      expect(written).toContain(`caused by: Error: 401 Incorrect API key provided: ${REDACTED}`);
      expect(written).not.toContain(key.slice(3, 11));
      expect(written).not.toContain(key.slice(-8));
      expect(JSON.parse(lines[1]!)).toMatchObject({ apiKey: REDACTED, headers: { authorization: REDACTED } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
