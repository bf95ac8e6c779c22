import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema.ts';
import type { Config } from '../config.ts';
import type { ButtonConfirmations } from './button-confirmations.ts';
import type { ChatRequests } from './chat-requests.ts';
import type { NoticeFeed } from './notice-feed.ts';

/** What a chat platform's bot needs from the process it runs in. */
export interface PlatformDeps {
  config: Config;
  chat: ChatRequests;
  confirmations: ButtonConfirmations;
  db: Kysely<Database>;
  log: Logger;
  /** Notices the reconciler and workers leave for channels; each platform shows its own. */
  notices?: NoticeFeed;
  /** Serves `path` on the process's HTTP server (PORT) with a plain Node listener. */
  mountHttp?(path: string, listener: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/** A running chat platform bot. */
export interface RunningPlatform {
  readonly name: string;
  /** Resolves with a short description when the platform answers; throws when it does not. */
  check(): Promise<string>;
  /** Stops taking requests; operations it follows are left to the follower's shutdown. */
  close(): Promise<void>;
}

/** Whether a workspace (Slack team, Discord guild) may use the bot; an empty allow-list allows all. */
export function workspaceAllowed(config: Config, workspace: string | undefined): boolean {
  const allowed = config.chat.allowedWorkspaces;
  if (allowed.length === 0) return true;
  return workspace !== undefined && allowed.includes(workspace);
}
