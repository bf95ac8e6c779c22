/**
 * Slack's side of gpuops's text: inbound messages decoded to plain text for the planner, and
 * chat-neutral outgoing text (plain lines, emoji, `*bold*`, ``` fenced tables) turned into Block
 * Kit within Slack's limits. Pure: no network, the caller posts what comes back.
 */
import type { types } from '@slack/bolt';
import type { OutgoingMessage } from '../../agent/chat-surface.ts';
import {
  FENCE,
  fitOne,
  mapProse,
  packSegments,
  parseSegments,
  type Segment,
  truncate,
} from '../../format/chunks.ts';
import { escapeRegExp } from '../../util/escape-regexp.ts';

export const SLACK_LIMITS = {
  /** Characters of mrkdwn in one section block. */
  sectionText: 3000,
  /** Blocks in one message. */
  blocks: 50,
  /** The top-level `text`: what notifications and screen readers show. */
  fallbackText: 4000,
  /** Elements in one actions block. */
  actions: 25,
  actionId: 255,
  buttonValue: 2000,
  buttonLabel: 75,
  /** Characters of mrkdwn in one context element. */
  contextText: 3000,
} as const;

/** Beyond this many characters an answer is cut short and attached whole as a file. */
export const DEFAULT_MAX_CHARS = 12_000;
export const ANSWER_FILE_NAME = 'gpuops-answer.txt';

// ---------------------------------------------------------------------------------------------
// Inbound: Slack's entity syntax to plain text.

export interface DecodeSlackOptions {
  /** The bot's own user id: a mention of it that opens or closes a message only addresses it. */
  botUserId?: string;
}

/** A message as Slack delivers it (`<@U1|name>`, `<#C1|ml>`, `<url|label>`, `&amp;`) as plain text. */
export function decodeSlackText(text: string, options: DecodeSlackOptions = {}): string {
  const addressed = options.botUserId ? stripBotMention(text, options.botUserId) : text;
  const plain = addressed.replace(/<([^<>]+)>/g, (whole, inner: string) => decodeEntity(inner) ?? whole);
  return decodeHtmlEntities(plain).replace(/\s+/g, ' ').trim();
}

/** Drops the bot's mention at the start or end of a message (where it addresses the bot, not content). */
function stripBotMention(text: string, botUserId: string): string {
  const mention = `<@${escapeRegExp(botUserId)}(?:\\|[^>]*)?>`;
  return text
    .replace(new RegExp(`^(?:\\s*${mention}[\\s,:;]*)+`), '')
    .replace(new RegExp(`(?:[\\s,]*${mention})+\\s*$`), '');
}

/** One `<...>` entity as plain text; undefined for anything that is not Slack entity syntax. */
function decodeEntity(inner: string): string | undefined {
  const [target = '', label] = splitLabel(inner);
  switch (target[0]) {
    case '@':
      return `@${label || target.slice(1)}`;
    case '#':
      return `#${label || target.slice(1)}`;
    case '!':
      return decodeSpecialMention(target.slice(1), label);
    default:
      return decodeLink(target, label);
  }
}

/** `<!here>`, `<!subteam^S1|@team>`, `<!date^…|fallback>`: Slack's broadcasts, groups and dates. */
function decodeSpecialMention(name: string, label: string | undefined): string {
  if (label) return label.startsWith('@') || name.startsWith('date^') ? label : `@${label}`;
  const [kind, id] = name.split('^');
  return `@${kind === 'subteam' && id ? id : kind}`;
}

function decodeLink(target: string, label: string | undefined): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  if (label) return label;
  return target.startsWith('mailto:') ? target.slice('mailto:'.length) : target;
}

/** `target|label` → [target, label]; the label may itself contain `|`. */
function splitLabel(inner: string): [string, string | undefined] {
  const bar = inner.indexOf('|');
  return bar < 0 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1)];
}

/** Slack escapes only these three; one pass, so `&amp;lt;` stays the literal text `&lt;`. */
function decodeHtmlEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>' })[name] ?? '');
}

// ---------------------------------------------------------------------------------------------
// Outbound: chat-neutral text to Block Kit.

/** What formatting needs of a chat message. */
export type SlackOutgoingMessage = Pick<OutgoingMessage, 'text' | 'kind'>;

export interface SlackFormatOptions {
  /** The whole text is monospace (a table): show it all in one code block. */
  monospace?: boolean;
  /** Finds unfenced aligned tables in prose and puts them in code blocks (default true). */
  detectTables?: boolean;
  /** Characters of blocks beyond which the answer is cut short and attached as a file. */
  maxChars?: number;
  /** Blocks left free for the caller's own (buttons, context); default 2. */
  reserveBlocks?: number;
  fileName?: string;
}

export interface SlackMessage {
  /** Fallback for notifications and screen readers, escaped mrkdwn of at most 4000 characters. */
  text: string;
  blocks: types.KnownBlock[];
  /** The whole answer as plain text, when the blocks show only its first part: the caller uploads it. */
  file?: { filename: string; content: string };
}

/** Slack's mrkdwn gives `&`, `<` and `>` meaning, so literal ones must be escaped. */
export function escapeSlackText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

const escapedLength = (text: string) => escapeSlackText(text).length;
/** Slack has no language hints: "```ts" would show "ts" as code. */
const slackStyle = { measure: escapedLength, fenceOpener: () => FENCE };

/**
 * A gpuops message as Block Kit: mrkdwn sections of at most 3000 characters, tables in code blocks
 * (fences closed and reopened where a block is split), and an answer too long for chat cut short
 * with the full text returned as `file`. Progress is edited in place, so it stays one section.
 */
export function toSlackMessage(
  message: SlackOutgoingMessage,
  options: SlackFormatOptions = {},
): SlackMessage {
  const segments = parseSegments(message.text, options).map(toSlackEmphasis);
  const fallback = escapeSlackText(fitOne(segments, SLACK_LIMITS.fallbackText, slackStyle));
  if (message.kind === 'progress') {
    const line = fitOne(segments, SLACK_LIMITS.sectionText, slackStyle);
    return { text: fallback || EMPTY_TEXT, blocks: line ? [section(line)] : [] };
  }
  const fileName = options.fileName ?? ANSWER_FILE_NAME;
  const note = `_… (full answer attached as ${fileName})_`;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const pack = (maxTotal: number) =>
    packSegments(segments, {
      limitOf: () => SLACK_LIMITS.sectionText,
      maxChunks: SLACK_LIMITS.blocks - 1 - (options.reserveBlocks ?? 2),
      maxTotal,
      ...slackStyle,
    });
  const whole = pack(maxChars);
  const shown = whole.complete ? whole : pack(maxChars - escapedLength(note) - 1);
  const blocks = shown.chunks.map(section);
  if (whole.complete) return { text: fallback || EMPTY_TEXT, blocks };
  blocks.push(section(note));
  return { text: fallback, blocks, file: { filename: fileName, content: message.text } };
}

const EMPTY_TEXT = '(no text)';

/** A section of chat-neutral text; the caller keeps it within 3000 characters once escaped. */
function section(text: string): types.SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: escapeSlackText(text) } };
}

/** `**bold**` (as a model may write it) is Markdown; Slack's bold is `*bold*`. */
function toSlackEmphasis(segment: Segment): Segment {
  return mapProse(segment, slackBold);
}

function slackBold(text: string): string {
  return text.replace(/\*\*([^*\n]+?)\*\*/g, '*$1*');
}

export interface SlackButtonAction {
  /** The action_id the click handler receives. */
  id: string;
  label: string;
  style?: 'primary' | 'danger';
  value: string;
}

/** An actions block of buttons; throws on ids and values Slack would reject, shortens long labels. */
export function slackButtons(actions: readonly SlackButtonAction[]): types.ActionsBlock {
  if (actions.length === 0 || actions.length > SLACK_LIMITS.actions) {
    throw new Error(
      `Slack buttons: an actions block takes 1 to ${SLACK_LIMITS.actions}, got ${actions.length}`,
    );
  }
  assertUniqueIds(actions.map((a) => a.id));
  return { type: 'actions', elements: actions.map(slackButton) };
}

function slackButton(action: SlackButtonAction): types.Button {
  if (action.id.length === 0 || action.id.length > SLACK_LIMITS.actionId) {
    throw new Error(
      `Slack button id must be 1 to ${SLACK_LIMITS.actionId} characters, got ${action.id.length}`,
    );
  }
  if (action.value.length > SLACK_LIMITS.buttonValue) {
    throw new Error(`Slack button "${action.id}": value over ${SLACK_LIMITS.buttonValue} characters`);
  }
  return {
    type: 'button',
    action_id: action.id,
    text: { type: 'plain_text', text: truncate(action.label, SLACK_LIMITS.buttonLabel), emoji: true },
    value: action.value,
    ...(action.style && { style: action.style }),
  };
}

function assertUniqueIds(ids: string[]): void {
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) throw new Error(`Slack buttons: id "${repeated}" used twice in one block`);
}

/** A context block: small grey text under a message (a footnote, who asked, an operation id). */
export function slackContext(text: string): types.ContextBlock {
  const fitted = fitOne(parseSegments(text, { detectTables: false }), SLACK_LIMITS.contextText, slackStyle);
  return { type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlackText(fitted) }] };
}
