/**
 * Discord's side of gpuops's text: inbound messages decoded to plain text for the planner, and
 * chat-neutral outgoing text (plain lines, emoji, `*bold*`, ``` fenced tables) turned into message
 * payloads within Discord's limits. Pure: no network, the caller sends what comes back.
 */
import type {
  APIActionRowComponent,
  APIButtonComponentWithCustomId,
  APIEmbed,
  ButtonStyle,
  ComponentType,
} from 'discord.js';
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

export const DISCORD_LIMITS = {
  /** Characters of `content` in one message. */
  content: 2000,
  /** Characters of one embed's description. */
  embedDescription: 4096,
  /** Buttons in one action row. */
  buttonsPerRow: 5,
  customId: 100,
  buttonLabel: 80,
} as const;

export const DEFAULT_MAX_MESSAGES = 3;
export const ANSWER_FILE_NAME = 'gpuops-answer.txt';
/** Discord's red, for error embeds. */
export const ERROR_COLOUR = 0xed4245;

// ---------------------------------------------------------------------------------------------
// Inbound: Discord's entity syntax to plain text.

export interface DecodeDiscordOptions {
  /** The bot's user id: a mention of it that opens or closes a message only addresses it. */
  botUserId?: string;
  /** The bot's managed role, which Discord's autocomplete offers in place of the bot itself. */
  botRoleId?: string;
  users?: ReadonlyMap<string, string>;
  channels?: ReadonlyMap<string, string>;
  roles?: ReadonlyMap<string, string>;
}

/** A message as Discord delivers it (`<@123>`, `<#123>`, `<:emoji:123>`, `<t:…>`) as plain text. */
export function decodeDiscordText(text: string, options: DecodeDiscordOptions = {}): string {
  const addressed = stripBotMentions(text, options);
  const plain = addressed.replace(
    /<([^<>]+)>/g,
    (whole, inner: string) => decodeEntity(inner, options) ?? whole,
  );
  return plain.replace(/\s+/g, ' ').trim();
}

/** Drops the bot's mentions at the start or end of a message (where they address it, not content). */
function stripBotMentions(text: string, options: DecodeDiscordOptions): string {
  const ids = [
    ...(options.botUserId ? [`@!?${escapeRegExp(options.botUserId)}`] : []),
    ...(options.botRoleId ? [`@&${escapeRegExp(options.botRoleId)}`] : []),
  ];
  if (ids.length === 0) return text;
  const mention = `<(?:${ids.join('|')})>`;
  return text
    .replace(new RegExp(`^(?:\\s*${mention}[\\s,:;]*)+`), '')
    .replace(new RegExp(`(?:[\\s,]*${mention})+\\s*$`), '');
}

type EntityRule = [RegExp, (id: string, options: DecodeDiscordOptions) => string | undefined];

const nameOf = (names: ReadonlyMap<string, string> | undefined, id: string) => names?.get(id) ?? id;

/** Discord's entity syntax, by what is inside the angle brackets; the first group is handed on. */
const ENTITY_RULES: EntityRule[] = [
  [/^@&(\d+)$/, (id, o) => `@${nameOf(o.roles, id)}`],
  [/^@!?(\d+)$/, (id, o) => `@${nameOf(o.users, id)}`],
  [/^#(\d+)$/, (id, o) => `#${nameOf(o.channels, id)}`],
  [/^a?:(\w+):\d+$/, (name) => `:${name}:`], // custom emoji, animated or not
  [/^t:(-?\d+)(?::[tTdDfFsSR])?$/, (seconds) => isoDate(Number(seconds))],
  [/^\/([\w -]+):\d+$/, (command) => `/${command}`], // a slash command's mention
];

/** One `<...>` entity as plain text; undefined for anything that is not Discord entity syntax. */
function decodeEntity(inner: string, options: DecodeDiscordOptions): string | undefined {
  for (const [pattern, decode] of ENTITY_RULES) {
    const match = pattern.exec(inner);
    if (match) return decode(match[1]!, options);
  }
  return undefined;
}

/** A timestamp entity's Unix seconds as an ISO date the planner can read; undefined when out of range. */
function isoDate(seconds: number): string | undefined {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------
// Outbound: chat-neutral text to message payloads.

/** What formatting needs of a chat message. */
export type DiscordOutgoingMessage = Pick<OutgoingMessage, 'text' | 'kind'>;

export interface DiscordFormatOptions {
  /** The whole text is monospace (a table): show it all in a code block. */
  monospace?: boolean;
  /** Finds unfenced aligned tables in prose and puts them in code blocks (default true). */
  detectTables?: boolean;
  /** Messages an answer may take before the rest goes into an attached file (default 3). */
  maxMessages?: number;
  fileName?: string;
}

export interface DiscordMessagePayload {
  content: string;
  embeds?: APIEmbed[];
  /** The whole answer as plain text, on the last message when the messages show only its start. */
  file?: { name: string; content: string };
  /**
   * No pings: gpuops's text can echo what users typed (an instance label, a model name), and an
   * echoed `@everyone` must not notify a whole server. discord.js's `allowedMentions` shape.
   */
  allowedMentions: { parse: [] };
}

/**
 * A gpuops message as Discord payloads: content of at most 2000 characters per message, split at
 * line boundaries with code fences closed and reopened, at most `maxMessages` messages and the
 * whole answer attached as a file beyond that. Errors go in a red embed when they fit one;
 * progress is edited in place, so it is always exactly one message.
 */
export function toDiscordMessages(
  message: DiscordOutgoingMessage,
  options: DiscordFormatOptions = {},
): DiscordMessagePayload[] {
  const segments = parseSegments(message.text, options).map(toDiscordEmphasis);
  if (message.kind === 'progress') {
    return [payload(fitOne(segments, DISCORD_LIMITS.content, packing) || EMPTY_TEXT)];
  }
  if (message.kind === 'error') {
    const embed = packSegments(segments, {
      ...packing,
      limitOf: () => DISCORD_LIMITS.embedDescription,
      maxChunks: 1,
    });
    const [description] = embed.chunks;
    if (embed.complete && description)
      return [{ ...payload(''), embeds: [{ color: ERROR_COLOUR, description }] }];
  }
  return splitIntoMessages(segments, message.text, options);
}

const EMPTY_TEXT = '(no text)';
const textLength = (text: string) => text.length;
const packing = { measure: textLength, fenceOpener: (lang: string) => `${FENCE}${lang}` };

function payload(content: string): DiscordMessagePayload {
  return { content, allowedMentions: { parse: [] } };
}

function splitIntoMessages(
  segments: Segment[],
  fullText: string,
  options: DiscordFormatOptions,
): DiscordMessagePayload[] {
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  if (!Number.isInteger(maxMessages) || maxMessages < 1) {
    throw new Error(
      `Discord formatting: maxMessages must be a whole number of at least 1, got ${maxMessages}`,
    );
  }
  const limit = DISCORD_LIMITS.content;
  const whole = packSegments(segments, { ...packing, limitOf: () => limit, maxChunks: maxMessages });
  if (whole.complete) {
    return whole.chunks.length > 0 ? whole.chunks.map(payload) : [payload(EMPTY_TEXT)];
  }
  const fileName = options.fileName ?? ANSWER_FILE_NAME;
  const note = `_… (full answer attached as ${fileName})_`;
  // The last message keeps room for the note that points at the file.
  const lastIndex = maxMessages - 1;
  const shown = packSegments(segments, {
    ...packing,
    limitOf: (index) => (index === lastIndex ? limit - note.length - 1 : limit),
    maxChunks: maxMessages,
  });
  const contents = shown.chunks.length > 0 ? shown.chunks : [''];
  const last = contents.length - 1;
  return contents.map((content, index) =>
    index === last
      ? { ...payload(content ? `${content}\n${note}` : note), file: { name: fileName, content: fullText } }
      : payload(content),
  );
}

/** gpuops writes bold as `*bold*` (Slack's way); on Discord single stars are italics. */
function toDiscordEmphasis(segment: Segment): Segment {
  return mapProse(segment, discordBold);
}

function discordBold(text: string): string {
  return text.replace(/(^|[^*\w])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?![*\w])/g, '$1**$2**');
}

/** A button as the click handler sees it: `id` and `value` come back together in the custom_id. */
export interface DiscordButtonAction {
  id: string;
  label: string;
  style?: 'primary' | 'danger';
  value: string;
}

type DiscordButton = APIButtonComponentWithCustomId;

/**
 * An action row of buttons in Discord's API shape. Discord has no button value, so the custom_id
 * carries `id:value` (read it back with readDiscordButtonId). Throws on more than five buttons and
 * on ids Discord would reject; shortens long labels.
 */
export function discordButtons(
  actions: readonly DiscordButtonAction[],
): APIActionRowComponent<DiscordButton> {
  if (actions.length === 0 || actions.length > DISCORD_LIMITS.buttonsPerRow) {
    throw new Error(
      `Discord buttons: an action row takes 1 to ${DISCORD_LIMITS.buttonsPerRow} buttons, got ${actions.length}`,
    );
  }
  const buttons = actions.map(discordButton);
  const repeated = buttons.find((b, i) => buttons.findIndex((o) => o.custom_id === b.custom_id) !== i);
  if (repeated) throw new Error(`Discord buttons: custom_id "${repeated.custom_id}" used twice in one row`);
  return { type: 1 satisfies ComponentType.ActionRow, components: buttons };
}

function discordButton(action: DiscordButtonAction): DiscordButton {
  if (action.id.length === 0 || action.id.includes(':')) {
    throw new Error(`Discord button id must be non-empty and without ":": "${action.id}"`);
  }
  const customId = `${action.id}:${action.value}`;
  if (customId.length > DISCORD_LIMITS.customId) {
    throw new Error(
      `Discord button "${action.id}": id and value take ${customId.length} characters, over Discord's ${DISCORD_LIMITS.customId}`,
    );
  }
  return {
    type: 2 satisfies ComponentType.Button,
    style: buttonStyle(action.style),
    custom_id: customId,
    label: truncate(action.label, DISCORD_LIMITS.buttonLabel),
  };
}

function buttonStyle(style: DiscordButtonAction['style']): DiscordButton['style'] {
  if (style === 'primary') return 1 satisfies ButtonStyle.Primary;
  if (style === 'danger') return 4 satisfies ButtonStyle.Danger;
  return 2 satisfies ButtonStyle.Secondary;
}

/** A clicked button's custom_id back as the action's id and value. */
export function readDiscordButtonId(customId: string): { id: string; value: string } {
  const colon = customId.indexOf(':');
  return colon < 0
    ? { id: customId, value: '' }
    : { id: customId.slice(0, colon), value: customId.slice(colon + 1) };
}
