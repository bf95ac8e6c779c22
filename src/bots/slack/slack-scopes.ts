/**
 * The bot scopes slack-app-manifest.yml asks for, and no more: each is needed for something
 * gpuops does (mentions, thread replies in public and private channels, direct messages, posting
 * and editing, /gpu, requesters' names, a long answer's file).
 */
export const SLACK_BOT_SCOPES: readonly string[] = [
  'app_mentions:read',
  'channels:history',
  'groups:history',
  'im:history',
  'chat:write',
  'commands',
  'users:read',
  'files:write',
];
