import { checked } from './checked-calls.ts';
import type { Plan } from './types.ts';

/**
 * CPU standby phrasings: "enable standby for i-3", "standby i-3 on a cpu vm", "give i-3 a spot
 * standby on an e2-standard-8", "turn off standby for i-3", "delete i-3's standby". Read only when
 * the whole request is one of these; what follows the instance may only name the machine type,
 * spot or on-demand, and words like "on a cpu vm" or "on gcp". A request about a standby that is
 * not one of these gets examples that work rather than a guess.
 */

const PLEASE = String.raw`(?:(?:please|pls|now|ok|okay|can\s+you|could\s+you)[\s,]+)*`;
const TAIL = String.raw`(?:[\s,]+(?:please|now|thanks|thank\s+you))*[\s.!]*$`;
const INSTANCE = String.raw`(?:instance\s+)?(i-\d+)`;
const STANDBY = String.raw`(?:(?:a|an|the|its)\s+)?(?:(?:cpu|spot|preemptible|gcp)\s+)*stand[\s-]?by(?:\s+(?:vm|machine|server|instance))?`;
/** What may follow the instance: option words, checked one by one in `readOptions`. */
const REST = String.raw`((?:[\s,]+[\w.'’-]+)*?)`;
const ON = String.raw`(?:enable|turn\s+on|switch\s+on|set\s+up|setup|create|add|start|make|keep|get)`;
const OFF = String.raw`(?:disable|turn\s+off|switch\s+off|remove|delete|drop|stop|destroy|tear\s+down|kill|cancel|get\s+rid\s+of)`;
const OWNER = `${INSTANCE}(?:'s|’s|s')?`;

const PATTERNS: ReadonlyArray<{ enabled: boolean; pattern: RegExp }> = [
  // "enable standby for i-3", "set up a cpu standby for i-3 on an e2-standard-8"
  {
    enabled: true,
    pattern: new RegExp(
      String.raw`^${PLEASE}${ON}\s+${STANDBY}\s+(?:for|of|on|to)\s+${INSTANCE}${REST}${TAIL}`,
      'i',
    ),
  },
  // "turn standby on for i-3"
  {
    enabled: true,
    pattern: new RegExp(
      String.raw`^${PLEASE}(?:turn|switch)\s+${STANDBY}\s+on\s+(?:for|of|on)\s+${INSTANCE}${REST}${TAIL}`,
      'i',
    ),
  },
  // "enable i-3's standby", "give i-3 a standby", "standby i-3 on a cpu vm"
  {
    enabled: true,
    pattern: new RegExp(String.raw`^${PLEASE}${ON}\s+${OWNER}\s+${STANDBY}${REST}${TAIL}`, 'i'),
  },
  {
    enabled: true,
    pattern: new RegExp(String.raw`^${PLEASE}give\s+${INSTANCE}\s+${STANDBY}${REST}${TAIL}`, 'i'),
  },
  {
    enabled: true,
    pattern: new RegExp(String.raw`^${PLEASE}(?:stand[\s-]?by)\s+${INSTANCE}${REST}${TAIL}`, 'i'),
  },
  // "turn off standby for i-3", "delete the standby of i-3", "turn standby off for i-3"
  {
    enabled: false,
    pattern: new RegExp(
      String.raw`^${PLEASE}${OFF}\s+${STANDBY}\s+(?:for|of|on|from)\s+${INSTANCE}${REST}${TAIL}`,
      'i',
    ),
  },
  {
    enabled: false,
    pattern: new RegExp(
      String.raw`^${PLEASE}(?:turn|switch)\s+${STANDBY}\s+off\s+(?:for|of|on)\s+${INSTANCE}${REST}${TAIL}`,
      'i',
    ),
  },
  {
    enabled: false,
    pattern: new RegExp(String.raw`^${PLEASE}${OFF}\s+${OWNER}\s+${STANDBY}${REST}${TAIL}`, 'i'),
  },
  {
    enabled: false,
    pattern: new RegExp(
      String.raw`^${PLEASE}no\s+(?:more\s+)?${STANDBY}\s+(?:for|on)\s+${INSTANCE}${REST}${TAIL}`,
      'i',
    ),
  },
];

/** Words that say nothing more than "a standby VM at GCP". */
const FILLER = new Set([
  'on',
  'with',
  'using',
  'as',
  'in',
  'at',
  'a',
  'an',
  'the',
  'cpu',
  'cpu-only',
  'vm',
  'machine',
  'instance',
  'box',
  'server',
  'gcp',
  'google',
  'cloud',
  'compute',
  'engine',
  'gce',
  'standby',
  'please',
]);
const MACHINE =
  /^(?:e2|n2|n2d|n1|c2|c2d|c3|t2d)-(?:standard|highmem|highcpu)-\d{1,3}$|^e2-(?:micro|small|medium)$/;
const STANDBY_WORD = /\bstand[\s-]?by\b/i;
/** "a spot standby": spot said before the word standby. */
const SPOT_STANDBY = /\b(?:spot|preemptible)\s+(?:(?:cpu|gcp)\s+)*stand[\s-]?by\b/i;

export function readStandby(text: string): Plan | undefined {
  const trimmed = text.trim();
  if (!STANDBY_WORD.test(trimmed)) return undefined;
  for (const { enabled, pattern } of PATTERNS) {
    const match = pattern.exec(trimmed);
    if (!match) continue;
    const options = readOptions(match[2] ?? '');
    if (!options || (!enabled && Object.keys(options).length > 0)) return notUnderstood();
    if (enabled && options.spot === undefined && SPOT_STANDBY.test(trimmed)) options.spot = true;
    return checked({
      tool: 'standby',
      args: { instance: match[1]!.toLowerCase(), enabled, ...options },
    });
  }
  // About a standby but naming no instance ("what about a standby?"): say what works.
  return /\bi-\d+\b/i.test(trimmed) ? undefined : notUnderstood();
}

function readOptions(rest: string): { machine_type?: string; spot?: boolean } | undefined {
  const words = rest
    .toLowerCase()
    .replace(/\bon[\s-]demand\b/g, 'on-demand')
    .replace(/\bnon[\s-]spot\b/g, 'on-demand')
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  const options: { machine_type?: string; spot?: boolean } = {};
  for (const word of words) {
    if (FILLER.has(word)) continue;
    if (word === 'spot' || word === 'preemptible') options.spot = true;
    else if (word === 'on-demand' || word === 'regular') options.spot = false;
    else if (MACHINE.test(word)) options.machine_type = word;
    else return undefined;
  }
  return options;
}

function notUnderstood(): Plan {
  return {
    kind: 'clarify',
    message:
      'About a CPU standby I understand: "enable standby for i-3", "standby i-3 on a spot e2-standard-8", "turn off standby for i-3".',
  };
}
