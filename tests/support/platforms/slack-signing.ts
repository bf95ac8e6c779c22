import { createHmac } from 'node:crypto';

/** The two headers Slack adds to every HTTP request it sends to an app. */
export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/**
 * Signs `body` (the exact bytes that will be sent) as Slack does: `v0=` + hex HMAC-SHA256 of
 * `v0:{timestamp}:{body}` keyed with the signing secret. `timestampSeconds` defaults to now;
 * Bolt rejects timestamps more than 5 minutes old.
 */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const timestamp = String(timestampSeconds);
  const hex = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': timestamp };
}

/** A form body for a slash command or interaction (`payload=<JSON>`), as Slack encodes it. */
export function slackFormBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
