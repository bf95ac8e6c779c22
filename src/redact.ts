/**
 * Takes secrets out of text before gpuops logs, stores, shows or prints it. Outside systems echo
 * what they were sent (OpenAI's 401 says "Incorrect API key provided: sk-…"), so any message or
 * body from outside may carry a key: the configured secrets are removed wherever they appear, in
 * whole or in part, and so is anything that looks like a credential even when gpuops was never
 * told about it (a token in a URL, a bearer header, a private key).
 */

export const REDACTED = '[redacted]';

/**
 * Shorter configured values are not taken for secrets: an 8-character limit is what the vast.ai
 * client has always used, and anything shorter ("secret", "test") would blank ordinary words.
 */
const MIN_SECRET_CHARS = 8;
/** Secrets this long are also removed in pieces: a server may echo part of a key (clipped, masked). */
const MIN_FRAGMENTED_CHARS = 16;
/** The shortest run of a secret that counts as a recognisable part of it. */
const FRAGMENT_CHARS = 8;

/** Longest first, so a secret that contains another is removed whole. */
let secrets: string[] = [];
/** Every FRAGMENT_CHARS-long piece of every long secret: a text is scanned once for all of them. */
const fragments = new Set<string>();

/**
 * Adds configured secrets (keys, tokens, passwords) to what is redacted, for the rest of the
 * process. Called by `loadConfig` with every secret the environment names, and by clients that
 * are handed a key directly. Values too short to be secrets are ignored.
 */
export function rememberSecrets(...values: ReadonlyArray<string | undefined>): void {
  for (const raw of values) {
    const value = raw?.trim();
    if (!value || value.length < MIN_SECRET_CHARS) continue;
    for (const form of new Set([value, encodeURIComponent(value)])) {
      if (!secrets.includes(form)) secrets = [...secrets, form].sort((a, b) => b.length - a.length);
      if (form.length < MIN_FRAGMENTED_CHARS) continue;
      for (let i = 0; i + FRAGMENT_CHARS <= form.length; i++)
        fragments.add(form.slice(i, i + FRAGMENT_CHARS));
    }
  }
}

/** The password in a postgres:// or redis:// URL, for `rememberSecrets`. */
export function passwordInUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Credentials that are recognisable by their shape. Each keeps what says what it was (the
 * parameter's name, "Bearer") and replaces only the value. None reaches across a double quote or
 * a backslash, so redacting a JSON log line leaves it valid JSON.
 */
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    `${REDACTED} private key`,
  ],
  // Authorization header values, as they appear in dumped requests. A Basic value must look
  // encoded (a digit, a sign or a capital inside), so "Basic Information" stays as it is.
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  [/\b(Basic\s+)(?=[A-Za-z0-9+/]*(?:[0-9+/=]|[a-z][A-Z]))[A-Za-z0-9+/]{8,}={0,2}/g, `$1${REDACTED}`],
  // user:password@ in any URL (postgres://, redis://, https://), except the placeholder that
  // help texts show ("postgres://user:password@host:5432/database").
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'\\]*):(?!password@)[^\s@/"'\\]+@/gi, `$1:${REDACTED}@`],
  // Secrets in query strings and assignments: ?api_key=…, &token=…, SLACK_SIGNING_SECRET=….
  [
    /((?<![A-Za-z0-9])(?:api[_-]?key|apikey|key|access[_-]?token|auth[_-]?token|refresh[_-]?token|token|password|passwd|secret|client[_-]?secret|signing[_-]?secret|x-amz-signature|signature|sig)=)[^&\s"'\\#]+/gi,
    `$1${REDACTED}`,
  ],
  // The same in JSON bodies echoed back by a server: {"api_key": "…"}.
  [
    /("(?:api[_-]?key|apiKey|access[_-]?token|accessToken|refresh[_-]?token|refreshToken|token|password|secret|client[_-]?secret|clientSecret|private[_-]?key|privateKey)"\s*:\s*")[^"\\]*(?:\\.[^"\\]*)*(")/g,
    `$1${REDACTED}$2`,
  ],
  // OpenAI and Anthropic keys, also in OpenAI's masked form (sk-proj-abc1****wxyz).
  [/(?<![A-Za-z0-9])sk-[A-Za-z0-9_*.-]{6,}/g, REDACTED],
  // Slack bot, user, app and refresh tokens.
  [/(?<![A-Za-z0-9])x(?:ox[abposre]|app)-[A-Za-z0-9-]{6,}/g, REDACTED],
  // GitHub, Hugging Face, Google API keys and OAuth access tokens, AWS access key ids.
  [
    /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_-]{30,}|ya29\.[0-9A-Za-z_-]{20,}|A[KS]IA[0-9A-Z]{16})/g,
    REDACTED,
  ],
  // Three base64url parts joined by dots: JWTs and Discord bot tokens.
  [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{20,}/g, REDACTED],
];

/** The text without any configured secret, any recognisable part of one, or any credential-shaped value. */
export function redact(text: string): string {
  let out = text;
  if (secrets.length > 0) {
    for (const secret of secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    out = withoutFragments(out);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Replaces every stretch of the text made of known secrets' pieces. */
function withoutFragments(text: string): string {
  if (fragments.size === 0 || text.length < FRAGMENT_CHARS) return text;
  const covered: Array<[number, number]> = [];
  for (let i = 0; i + FRAGMENT_CHARS <= text.length; i++) {
    if (!fragments.has(text.slice(i, i + FRAGMENT_CHARS))) continue;
    const last = covered[covered.length - 1];
    if (last && i <= last[1]) last[1] = i + FRAGMENT_CHARS;
    else covered.push([i, i + FRAGMENT_CHARS]);
  }
  if (covered.length === 0) return text;
  let out = '';
  let from = 0;
  for (const [start, end] of covered) {
    out += `${text.slice(from, start)}${REDACTED}`;
    from = end;
  }
  return out + text.slice(from);
}

/**
 * A copy of a JSON-like value with every string redacted (keys included, in case one is a
 * secret), for objects printed or stored whole. Errors become their name and redacted message.
 */
export function redactDeep<T>(value: T): T {
  return deep(value, 0) as T;
}

function deep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 20) return '[too deep]';
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (Array.isArray(value)) return value.map((item) => deep(item, depth + 1));
  if (value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[redact(key)] = deep(item, depth + 1);
  return copy;
}
