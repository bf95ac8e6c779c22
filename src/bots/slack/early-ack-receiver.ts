import type { IncomingMessage, ServerResponse } from 'node:http';
import { type App, HTTPModuleFunctions, type Receiver } from '@slack/bolt';
import type { Logger } from 'pino';

/** Larger bodies than Slack ever sends are refused before they are read whole. */
const BODY_LIMIT_BYTES = 1_000_000;
/** How far a request's timestamp may be from now, either way (Slack's own figure: 5 minutes). */
const TIMESTAMP_TOLERANCE_S = 300;

/**
 * Slack over HTTP, acknowledged as soon as the request is known to be Slack's: the signature is
 * checked (Bolt's own verification: HMAC over the raw body, timestamps over five minutes old
 * refused with 401; and, which Bolt does not check, timestamps over five minutes ahead refused
 * too, so a signed request captured now cannot be stamped to replay later), the 200 goes out, and only then does Bolt run the listeners. Slack's 3 s
 * allow no more than that, and 50 commands at once then wait on nobody's listeners. Answers go
 * to the thread by the Web API (or `respond`), never in the HTTP response.
 */
export class EarlyAckReceiver implements Receiver {
  private app: App | undefined;

  constructor(
    private readonly signingSecret: string,
    private readonly log: Logger,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  readonly requestListener = (req: IncomingMessage, res: ServerResponse): void => {
    void this.handle(req, res).catch((err: unknown) => {
      this.log.warn({ err }, 'Slack request failed');
      if (!res.headersSent) HTTPModuleFunctions.buildNoBodyResponse(res, 500);
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > BODY_LIMIT_BYTES) {
      HTTPModuleFunctions.buildNoBodyResponse(res, 413);
      req.resume();
      return;
    }
    const stamp = Number(req.headers['x-slack-request-timestamp']);
    if (!Number.isFinite(stamp) || Math.abs(Date.now() / 1000 - stamp) > TIMESTAMP_TOLERANCE_S) {
      this.log.info(
        { stamp: req.headers['x-slack-request-timestamp'] },
        'Slack request refused: timestamp too far from now',
      );
      HTTPModuleFunctions.buildNoBodyResponse(res, 401);
      req.resume();
      return;
    }
    let buffered: Awaited<ReturnType<typeof HTTPModuleFunctions.parseAndVerifyHTTPRequest>>;
    try {
      buffered = await HTTPModuleFunctions.parseAndVerifyHTTPRequest(
        { enabled: true, signingSecret: this.signingSecret },
        req,
      );
    } catch (err) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(err);
      this.log.info({ err: (err as Error).message }, 'Slack request refused');
      HTTPModuleFunctions.buildNoBodyResponse(res, tooLarge ? 413 : 401);
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
    } catch {
      HTTPModuleFunctions.buildNoBodyResponse(res, 400);
      return;
    }
    if (typeof body !== 'object' || body === null) {
      HTTPModuleFunctions.buildNoBodyResponse(res, 400);
      return;
    }
    if (body.ssl_check) {
      HTTPModuleFunctions.buildSSLCheckResponse(res);
      return;
    }
    if (body.type === 'url_verification') {
      HTTPModuleFunctions.buildUrlVerificationResponse(res, body);
      return;
    }
    HTTPModuleFunctions.buildNoBodyResponse(res, 200);
    const retryNum = HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req);
    const retryReason = HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req);
    // After the I/O already waiting (other requests to acknowledge), not before it.
    await new Promise((resolve) => setImmediate(resolve));
    await this.app?.processEvent({
      body,
      ...(retryNum !== undefined && { retryNum }),
      ...(retryReason !== undefined && { retryReason }),
      // Already acknowledged: a listener's ack (with or without a body) has nothing left to do.
      ack: async () => {},
    });
  }
}
