import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import pino from 'pino';
import { redact } from './redact.ts';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear in the first four levels. */
const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'token',
  'accessToken',
  'refreshToken',
  'botToken',
  'appToken',
  'authorization',
  'Authorization',
  'password',
  'secret',
  'signingSecret',
  'clientSecret',
  'secretAccessKey',
  'privateKey',
  'private_key',
  'access_token',
  'refresh_token',
  'client_secret',
  'x-api-key',
  'cookie',
  'set-cookie',
];

// pino's redaction takes explicit paths (its `*` matches one level), so each key is listed at the
// depths gpuops logs objects to: the call's own fields, a nested config, and an error's request
// headers (`err.config.headers.authorization`).
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export interface LogSettings {
  logLevel: LevelWithSilent;
  /** A file path (its folder is created), or '-' for stderr. Unset: stderr. */
  logFile?: string | undefined;
}

export interface LoggerOptions {
  /** Shown as `name` on every line, e.g. the process role. */
  name?: string;
}

/**
 * The process logger. Writes synchronously so the last lines before a crash are not lost in a
 * buffer; gpuops logs far too little for that to cost anything.
 */
export function createLogger(settings: LogSettings, opts: LoggerOptions = {}): Logger {
  const toStderr = settings.logFile === undefined || settings.logFile === '-';
  const destination = toStderr
    ? pino.destination({ dest: 2, sync: true })
    : pino.destination({ dest: settings.logFile, sync: true, mkdir: true });
  return pino(
    {
      level: settings.logLevel,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    redacting(destination),
  );
}

/**
 * Every line, scrubbed as a whole before it is written. Key paths only catch secrets under the
 * names above; an outside error carries them anywhere: in its message and stack, in the cause's,
 * in the response body and headers the client attached to it, in the message of a log call.
 */
function redacting(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(redact(line)) };
}

/** A logger that writes nothing, for tests and for callers that were given none. */
export const silentLogger: Logger = pino({ level: 'silent' });
