import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { countMetric } from '../../metrics.ts';
import { redact, rememberSecrets } from '../../redact.ts';
import {
  type VastCreateInstanceBody,
  type VastInstance,
  type VastOffer,
  type VastSearchQuery,
  type VastSshKey,
  type VastUser,
  vastCreateResponseSchema,
  vastErrorBodySchema,
  vastInstanceSchema,
  vastOfferSchema,
  vastSshKeySchema,
  vastUserSchema,
} from './vast-schemas.ts';

/**
 * A thin typed client for the vast.ai REST API (and the simulated marketplace that speaks it).
 * It owns transport concerns only: auth, timeouts, retries, wire validation and turning HTTP
 * failures into GpuopsErrors a person can act on. Mapping to gpuops' own types is
 * `vast-provider.ts`'s job.
 */

export interface VastClientOptions {
  /** API origin, e.g. "https://console.vast.ai"; paths under /api/v0 are appended. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; never logged or put in an error. */
  apiKey: string;
  /** Limit for one attempt, headers and body included, ms. */
  timeoutMs: number;
  /** Extra attempts after the first for failures that may pass (429, 5xx, network). */
  retries: number;
  /** Delay before the first retry, ms; each later one is `backoffFactor` times longer. Default 150 (the vast SDK's). */
  backoffMinMs?: number;
  /** Default 2. */
  backoffFactor?: number;
  /** Ceiling on one delay, ms. Default 10 000. */
  backoffMaxMs?: number;
  /** A Retry-After longer than this is not waited out: the call fails as rate-limited. Default 30 000. */
  maxRetryAfterMs?: number;
  logger?: Logger;
}

export type VastInstanceState = 'running' | 'stopped';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Rejection {
  status: number;
  error: string | null;
  msg: string | null;
}

interface CallSpec {
  /** Names the call in logs and error details. */
  op: string;
  /** What the call does, for messages: "search offers", "start instance 42". */
  action: string;
  method: Method;
  path: string;
  body?: unknown;
  /** Sending it twice has the same effect as once, so any transient failure may be retried. */
  idempotent: boolean;
  /** 404 is an answer ("gone"), not an error. */
  allowNotFound?: boolean;
  /** Turns a refusal (4xx or `success:false`) into a specific error; undefined keeps the generic one. */
  classifyRejection?: (rejection: Rejection) => GpuopsError | undefined;
  /** For calls that are not idempotent: the error when vast.ai may or may not have acted. */
  unknownOutcome?: (reason: string) => GpuopsError;
}

interface HttpResult {
  status: number;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  json: unknown;
}

/**
 * Connection errors raised before a single byte of the request left this machine, so even a
 * rental may be retried after them.
 */
const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** One attempt's failure, carrying what the retry policy and the error mapping need. */
class AttemptFailure extends Error {
  constructor(
    readonly kind: 'status' | 'network' | 'timeout',
    message: string,
    readonly facts: { status?: number; retryAfterMs?: number; code?: string; neverSent?: boolean } = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AttemptFailure';
  }
}

/** vast.ai's largest page of instances. */
const V1_PAGE_SIZE = 25;
/** Pages follow ids, the order vast.ai's own CLI asks for. */
const V1_ORDER = JSON.stringify([{ col: 'id', dir: 'asc' }]);

/** Messages mean the offer was rented by someone else or withdrawn between search and rent. */
const OFFER_GONE_TEXT =
  /no_such_ask|no such ask|no such offer|already rented|no longer available|(offer|ask|instance type|machine)\b.{0,40}\bnot available/i;
/** Messages mean the stopped instance's machine cannot give its GPUs back right now. */
const RESUME_UNAVAILABLE_TEXT =
  /unavailable|not available|no longer available|resources|occupied|in use|already rented|insufficient (gpu|resource)/i;
const INSTANCE_GONE_TEXT = /no[ _]such[ _]instance|instance\s*\d*\s*(was\s+)?not\s+found/i;

export class VastClient {
  private readonly base: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMinMs: number;
  private readonly backoffFactor: number;
  private readonly backoffMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly log: Logger | undefined;

  constructor(options: VastClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (cause) {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'VAST_BASE_URL is not a URL; set it to e.g. https://console.vast.ai',
        {
          cause,
        },
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'VAST_BASE_URL must be an http(s) URL, e.g. https://console.vast.ai',
      );
    }
    if (options.apiKey.trim() === '') {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'VAST_API_KEY is empty; copy the key from https://cloud.vast.ai/account/',
      );
    }
    if (!(options.timeoutMs > 0) || !Number.isInteger(options.retries) || options.retries < 0) {
      throw new GpuopsError(
        ErrorCode.ConfigInvalid,
        'GPUOPS_PROVIDER_TIMEOUT_MS must be positive and GPUOPS_PROVIDER_RETRIES a whole number ≥ 0',
      );
    }
    // Accept a base given with the API prefix as well; every path below starts with /api/vN.
    this.base = options.baseUrl.replace(/\/+$/, '').replace(/\/api\/v[01]$/, '');
    this.apiKey = options.apiKey.trim();
    rememberSecrets(this.apiKey);
    this.timeoutMs = options.timeoutMs;
    this.retries = options.retries;
    this.backoffMinMs = options.backoffMinMs ?? 150;
    this.backoffFactor = options.backoffFactor ?? 2;
    this.backoffMaxMs = options.backoffMaxMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.log = options.logger;
  }

  /** `POST /api/v0/bundles/`. Offers that do not parse are skipped (and logged), not fatal. */
  async searchOffers(query: VastSearchQuery): Promise<VastOffer[]> {
    const spec: CallSpec = {
      op: 'searchOffers',
      action: 'search offers',
      method: 'POST',
      path: '/api/v0/bundles/',
      body: query,
      idempotent: true,
    };
    const { json } = await this.request(spec);
    const offers = isRecord(json) ? json.offers : undefined;
    if (!Array.isArray(offers)) throw unexpected(spec, 'no "offers" list');
    return this.parseItems(spec, offers, vastOfferSchema);
  }

  /**
   * `PUT /api/v0/asks/{offerId}/`: rents the offer and returns the new instance id. Not
   * idempotent, so it is retried only when vast.ai certainly did not act (connection refused,
   * 429). Otherwise a failure says the rental may have happened, and the caller reconciles by
   * the label it sent.
   */
  async createInstance(offerId: number, body: VastCreateInstanceBody): Promise<number> {
    if (!Number.isInteger(offerId) || offerId < 0) {
      throw new GpuopsError(ErrorCode.BadInput, `"${offerId}" is not a vast.ai offer id.`);
    }
    const unknownOutcome = (reason: string) =>
      new GpuopsError(
        ErrorCode.ProviderUnavailable,
        `vast.ai did not confirm the rental of offer ${offerId} (${reason}); the rental may or may not have happened (it would carry the label "${body.label}").`,
        {
          retryable: true,
          details: { op: 'createInstance', offerId, label: body.label, outcome: 'unknown' },
        },
      );
    const spec: CallSpec = {
      op: 'createInstance',
      action: `rent offer ${offerId}`,
      method: 'PUT',
      path: `/api/v0/asks/${offerId}/`,
      body,
      idempotent: false,
      unknownOutcome,
      classifyRejection: (r) => {
        const text = `${r.error ?? ''} ${r.msg ?? ''}`;
        if (r.status === 404 || r.status === 410 || OFFER_GONE_TEXT.test(text)) {
          return new GpuopsError(
            ErrorCode.OfferGone,
            `Offer ${offerId} is no longer available on vast.ai (rented by someone else or withdrawn); search again and pick another.`,
            { details: { op: 'createInstance', offerId, status: r.status, vastError: r.error } },
          );
        }
        return undefined;
      },
    };
    const { json } = await this.request(spec);
    const parsed = vastCreateResponseSchema.safeParse(json);
    // A 2xx we cannot read may still be a rental that happened.
    if (!parsed.success) throw unknownOutcome('its answer had no new_contract id');
    return parsed.data.new_contract;
  }

  /** `GET /api/v0/instances/{id}/?owner=me`; null when the instance does not exist (any more). */
  async showInstance(id: number | string): Promise<VastInstance | null> {
    const instanceId = checkInstanceId(id);
    const spec: CallSpec = {
      op: 'showInstance',
      action: `look up instance ${instanceId}`,
      method: 'GET',
      path: `/api/v0/instances/${instanceId}/?owner=me`,
      idempotent: true,
      allowNotFound: true,
    };
    const { status, json } = await this.request(spec);
    if (status === 404) return null;
    if (!isRecord(json) || !('instances' in json)) throw unexpected(spec, 'no "instances" field');
    const raw = json.instances;
    if (raw === null || raw === undefined) return null;
    // Some API versions answer with a one-element list instead of the object.
    const candidate = Array.isArray(raw) ? raw.find((i) => isRecord(i) && String(i.id) === instanceId) : raw;
    if (candidate === undefined) return null;
    const parsed = vastInstanceSchema.safeParse(candidate);
    if (!parsed.success) throw unexpected(spec, 'the instance did not parse');
    return parsed.data;
  }

  /**
   * `GET /api/v1/instances/`, every page: vast.ai gives at most 25 instances a page and a
   * `next_token` to ask for the rest with (`after_token`), until it answers null. (Its v0 list is
   * deprecated; its own CLI pages v1 the same way.)
   */
  async listInstances(): Promise<VastInstance[]> {
    const all: VastInstance[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ limit: String(V1_PAGE_SIZE), order_by: V1_ORDER });
      if (token !== undefined) query.set('after_token', token);
      const spec: CallSpec = {
        op: 'listInstances',
        action: 'list instances',
        method: 'GET',
        path: `/api/v1/instances/?${query}`,
        idempotent: true,
      };
      const { json } = await this.request(spec);
      if (!isRecord(json)) throw unexpected(spec, 'not a JSON object');
      const instances = json.instances ?? [];
      if (!Array.isArray(instances)) throw unexpected(spec, '"instances" is not a list');
      all.push(...this.parseItems(spec, instances, vastInstanceSchema));
      const next = json.next_token;
      if (next === null || next === undefined || next === '') return all;
      if (typeof next !== 'string') throw unexpected(spec, 'a "next_token" that is not a string');
      // A token given twice would page forever; stopping there would hide instances.
      if (seen.has(next)) throw unexpected(spec, 'the same next_token twice');
      seen.add(next);
      token = next;
    }
  }

  /** `PUT /api/v0/instances/{id}/ {"state": ...}`. Starting fails with ResumeUnavailable when the machine's GPUs are taken. */
  async setState(id: number | string, state: VastInstanceState): Promise<void> {
    const instanceId = checkInstanceId(id);
    const verb = state === 'running' ? 'start' : 'stop';
    await this.request({
      op: 'setState',
      action: `${verb} instance ${instanceId}`,
      method: 'PUT',
      path: `/api/v0/instances/${instanceId}/`,
      // A start that cannot get its GPUs would otherwise stay queued on vast.ai and begin billing
      // later, unannounced; gpuops would rather say it failed and offer to move the instance.
      body: state === 'running' ? { state, cancel_unavail: true } : { state },
      idempotent: true,
      classifyRejection: (r) => {
        const gone = instanceGone(instanceId, r);
        if (gone) return gone;
        const text = `${r.error ?? ''} ${r.msg ?? ''}`;
        if (state === 'running' && RESUME_UNAVAILABLE_TEXT.test(text) && !/credit|balance/i.test(text)) {
          return new GpuopsError(
            ErrorCode.ResumeUnavailable,
            `vast.ai could not start instance ${instanceId}: its machine no longer has the GPUs free` +
              `${r.msg ? ` (vast.ai said: ${this.redact(r.msg)})` : ''}. Destroy it and deploy a new one, or try again later.`,
            { details: { op: 'setState', instanceId, status: r.status, vastError: r.error } },
          );
        }
        return undefined;
      },
    });
  }

  /** `PUT /api/v0/instances/{id}/ {"label": ...}`. */
  async setLabel(id: number | string, label: string): Promise<void> {
    const instanceId = checkInstanceId(id);
    await this.request({
      op: 'setLabel',
      action: `label instance ${instanceId}`,
      method: 'PUT',
      path: `/api/v0/instances/${instanceId}/`,
      body: { label },
      idempotent: true,
      classifyRejection: (r) => instanceGone(instanceId, r),
    });
  }

  /** `DELETE /api/v0/instances/{id}/`. InstanceNotFound when vast.ai has no such instance. */
  async destroyInstance(id: number | string): Promise<void> {
    const instanceId = checkInstanceId(id);
    await this.request({
      op: 'destroyInstance',
      action: `destroy instance ${instanceId}`,
      method: 'DELETE',
      path: `/api/v0/instances/${instanceId}/`,
      body: {},
      // Destroying twice ends in the same state; a repeat just reports the instance gone.
      idempotent: true,
      classifyRejection: (r) => instanceGone(instanceId, r),
    });
  }

  /** `POST /api/v0/ssh/ {"ssh_key": ...}`. Not retried blindly, since a repeat could add the key twice. */
  async addSshKey(publicKey: string): Promise<void> {
    await this.request({
      op: 'addSshKey',
      action: 'add an SSH key',
      method: 'POST',
      path: '/api/v0/ssh/',
      body: { ssh_key: publicKey },
      idempotent: false,
      unknownOutcome: (reason) =>
        new GpuopsError(
          ErrorCode.ProviderUnavailable,
          `vast.ai did not confirm adding the SSH key (${reason}); it may or may not have been added. Trying again is safe.`,
          { retryable: true, details: { op: 'addSshKey', outcome: 'unknown' } },
        ),
    });
  }

  /** `GET /api/v0/users/current/`: the account the API key belongs to, with its credit. */
  async currentUser(): Promise<VastUser> {
    const spec: CallSpec = {
      op: 'currentUser',
      action: 'show the account',
      method: 'GET',
      path: '/api/v0/users/current/',
      idempotent: true,
    };
    const { json } = await this.request(spec);
    const parsed = vastUserSchema.safeParse(json);
    if (!parsed.success) throw unexpected(spec, 'not an account');
    return parsed.data;
  }

  /** `GET /api/v0/ssh/`: a bare list of keys (or one wrapped in `ssh_keys`/`keys`). */
  async listSshKeys(): Promise<VastSshKey[]> {
    const spec: CallSpec = {
      op: 'listSshKeys',
      action: 'list SSH keys',
      method: 'GET',
      path: '/api/v0/ssh/',
      idempotent: true,
    };
    const { json } = await this.request(spec);
    const list = Array.isArray(json) ? json : isRecord(json) ? (json.ssh_keys ?? json.keys) : undefined;
    if (!Array.isArray(list)) throw unexpected(spec, 'not a list of keys');
    return this.parseItems(spec, list, vastSshKeySchema);
  }

  /** Sends the call with retries, then turns refusals into GpuopsErrors (counted by code). */
  private async request(spec: CallSpec): Promise<HttpResult> {
    try {
      return await this.refusalsToErrors(spec, await this.send(spec));
    } catch (err) {
      countMetric('providerErrors', {
        op: spec.op,
        code: err instanceof GpuopsError ? err.code : ErrorCode.Internal,
      });
      throw err;
    }
  }

  private refusalsToErrors(spec: CallSpec, result: HttpResult): HttpResult {
    const { status, json } = result;
    if (status === 401 || status === 403) {
      throw new GpuopsError(ErrorCode.ProviderAuth, 'vast.ai rejected the API key; check VAST_API_KEY.', {
        details: { op: spec.op, status },
      });
    }
    if (status === 404 && spec.allowNotFound) return result;
    const body = vastErrorBodySchema.safeParse(json);
    const refused = status >= 400 || (body.success && body.data.success === false);
    // Calls that need data check the body's shape themselves; for the rest a 2xx is enough.
    if (!refused) return result;
    const rejection: Rejection = {
      status,
      error: body.success ? (body.data.error ?? null) : null,
      msg: body.success ? (body.data.msg ?? body.data.message ?? null) : null,
    };
    throw spec.classifyRejection?.(rejection) ?? this.rejected(spec, rejection);
  }

  private rejected(spec: CallSpec, r: Rejection): GpuopsError {
    const said = r.msg ?? r.error;
    const reason = said
      ? this.redact(said)
      : r.status === 404
        ? 'HTTP 404; is VAST_BASE_URL the vast.ai API?'
        : `HTTP ${r.status} without an explanation`;
    return new GpuopsError(ErrorCode.ProviderRejected, `vast.ai refused to ${spec.action}: ${reason}`, {
      details: { op: spec.op, status: r.status, vastError: r.error },
    });
  }

  /** One HTTP exchange per attempt, retried by p-retry under the policy in `mayRetry`. */
  private async send(spec: CallSpec): Promise<HttpResult> {
    let attempts = 0;
    try {
      return await pRetry(
        async () => {
          attempts++;
          return await this.attempt(spec, attempts);
        },
        {
          retries: this.retries,
          // The delay is chosen in onFailedAttempt, where a Retry-After can lengthen it.
          minTimeout: 0,
          shouldRetry: ({ error }) => this.mayRetry(spec, error),
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft <= 0 || !this.mayRetry(spec, error)) return;
            const delayMs = this.retryDelayMs(error, attemptNumber);
            this.log?.warn(
              { op: spec.op, attempt: attemptNumber, delayMs, reason: error.message },
              'vast.ai request failed; retrying',
            );
            await sleep(delayMs);
          },
        },
      );
    } catch (err) {
      throw this.failureToError(spec, err, attempts);
    }
  }

  private async attempt(spec: CallSpec, attempt: number): Promise<HttpResult> {
    const started = performance.now();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: 'application/json',
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}${spec.path}`, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      countMetric('providerRequests', { op: spec.op, status: 'network' });
      throw this.transportFailure(err, false);
    }
    countMetric('providerRequests', { op: spec.op, status: String(response.status) });
    try {
      text = await response.text();
    } catch (err) {
      throw this.transportFailure(err, true);
    }
    const ms = Math.round(performance.now() - started);
    this.log?.debug(
      {
        op: spec.op,
        method: spec.method,
        path: spec.path.split('?')[0],
        status: response.status,
        attempt,
        ms,
      },
      'vast.ai request',
    );
    if (response.status === 429 || response.status >= 500) {
      throw new AttemptFailure('status', `HTTP ${response.status}`, {
        status: response.status,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    return { status: response.status, json: parseJson(text) };
  }

  private transportFailure(err: unknown, responseStarted: boolean): unknown {
    if (err instanceof Error && err.name === 'TimeoutError') {
      return new AttemptFailure('timeout', `no answer within ${this.timeoutMs} ms`, {}, err);
    }
    const code = networkCode(err);
    if (code !== undefined || (err instanceof TypeError && err.message === 'fetch failed')) {
      return new AttemptFailure(
        'network',
        `network error ${code ?? 'unknown'}`,
        { code, neverSent: !responseStarted && code !== undefined && NEVER_SENT_CODES.has(code) },
        err,
      );
    }
    return err;
  }

  /** The retry policy: what may be tried again without risking a second effect. */
  private mayRetry(spec: CallSpec, err: unknown): boolean {
    if (!(err instanceof AttemptFailure)) return false;
    const { status, retryAfterMs, neverSent } = err.facts;
    if (status === 429) {
      // vast.ai refuses rate-limited calls before acting on them, so even a rental may be repeated.
      return retryAfterMs === undefined || retryAfterMs <= this.maxRetryAfterMs;
    }
    if (neverSent) return true;
    return spec.idempotent;
  }

  private retryDelayMs(err: Error, failedAttempts: number): number {
    const exponential = this.backoffMinMs * this.backoffFactor ** (failedAttempts - 1);
    // Up to 100% jitter so workers that failed together do not retry in lockstep.
    const backoff = Math.min(this.backoffMaxMs, Math.round(exponential * (1 + Math.random())));
    const retryAfter = err instanceof AttemptFailure ? (err.facts.retryAfterMs ?? 0) : 0;
    return Math.max(backoff, retryAfter);
  }

  private failureToError(spec: CallSpec, err: unknown, attempts: number): GpuopsError {
    if (err instanceof GpuopsError) return err;
    if (!(err instanceof AttemptFailure)) {
      const message = err instanceof Error ? this.redact(err.message) : String(err);
      return new GpuopsError(
        ErrorCode.Internal,
        `Calling vast.ai to ${spec.action} failed inside gpuops: ${message}`,
        {
          cause: err,
          details: { op: spec.op },
        },
      );
    }
    const { status, code, retryAfterMs, neverSent } = err.facts;
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    const details = { op: spec.op, attempts, status, networkCode: code };
    if (status === 429) {
      const wait = retryAfterMs === undefined ? 'wait a minute' : `wait ${Math.ceil(retryAfterMs / 1000)} s`;
      return new GpuopsError(
        ErrorCode.ProviderRateLimited,
        `vast.ai is rate-limiting gpuops (HTTP 429 after ${tries}) while trying to ${spec.action}; ${wait} and try again.`,
        { retryable: true, cause: err, details: { ...details, retryAfterMs } },
      );
    }
    const reason =
      err.kind === 'timeout'
        ? `no answer within ${formatMs(this.timeoutMs)}`
        : err.kind === 'status'
          ? `HTTP ${status}`
          : `network error ${code ?? 'unknown'}`;
    if (!spec.idempotent && !neverSent && spec.unknownOutcome) return spec.unknownOutcome(reason);
    const message =
      err.kind === 'timeout'
        ? `vast.ai did not answer within ${formatMs(this.timeoutMs)} when trying to ${spec.action} (${tries}); try again in a few minutes.`
        : err.kind === 'status'
          ? `vast.ai failed to ${spec.action} (HTTP ${status} after ${tries}); it may be having trouble, try again in a few minutes.`
          : `Could not reach vast.ai at ${new URL(this.base).host} to ${spec.action} (${code ?? 'network error'} after ${tries}); check the network and VAST_BASE_URL.`;
    return new GpuopsError(ErrorCode.ProviderUnavailable, message, { retryable: true, cause: err, details });
  }

  private parseItems<S extends z.ZodType>(spec: CallSpec, items: unknown[], schema: S): Array<z.output<S>> {
    const parsed: Array<z.output<S>> = [];
    let skipped = 0;
    for (const item of items) {
      const result = schema.safeParse(item);
      if (result.success) parsed.push(result.data);
      else skipped++;
    }
    if (skipped > 0)
      this.log?.warn({ op: spec.op, skipped, total: items.length }, 'vast.ai sent items that did not parse');
    return parsed;
  }

  /**
   * vast.ai messages are shown to people; make sure none can carry the key back out. Redacted
   * before it is clipped, so a key cut in half by the clip is still recognised.
   */
  private redact(text: string): string {
    const clean = redact(text);
    return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
  }
}

function instanceGone(instanceId: string, r: Rejection): GpuopsError | undefined {
  const text = `${r.error ?? ''} ${r.msg ?? ''}`;
  if (r.status === 404 || r.status === 410 || r.error === 'not_found' || INSTANCE_GONE_TEXT.test(text)) {
    return new GpuopsError(
      ErrorCode.InstanceNotFound,
      `vast.ai has no instance ${instanceId}; it may have been destroyed already.`,
      { details: { instanceId, status: r.status, vastError: r.error } },
    );
  }
  return undefined;
}

function unexpected(spec: CallSpec, what: string): GpuopsError {
  return new GpuopsError(
    ErrorCode.ProviderUnavailable,
    `vast.ai answered the request to ${spec.action} with ${what}; if this keeps happening its API may have changed.`,
    { details: { op: spec.op } },
  );
}

/** Instance ids go into URL paths, so only digits are let through. */
function checkInstanceId(id: number | string): string {
  const text = String(id).trim();
  if (!/^\d{1,18}$/.test(text)) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `"${text.slice(0, 40)}" is not a vast.ai instance id (expected digits).`,
    );
  }
  return text;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The errno-style code of a fetch failure; undici nests it in `cause`, sometimes in an AggregateError. */
function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (current instanceof AggregateError) {
      const inner = current.errors.find(
        (e) => e instanceof Error && typeof (e as { code?: unknown }).code === 'string',
      );
      if (inner) return (inner as { code: string }).code;
    }
    current = current.cause;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
