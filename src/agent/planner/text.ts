/**
 * The old home of the request-reading helpers, kept only because src/agent/provenance.ts (not the
 * planner's file) still imports from it; once it imports clean-request.ts, numerals.ts and
 * unread-text.ts directly this file goes.
 */
export { cleanRequest } from './clean-request.ts';
export { readNumber } from './numerals.ts';
export { UnreadText as Scratch } from './unread-text.ts';
