import { DECLARED } from '../tools/declarations/index.ts';
import { EXAMPLES, FALLBACK_EXAMPLES } from './planner/example-requests.ts';

export { EXAMPLES, FALLBACK_EXAMPLES } from './planner/example-requests.ts';

/** "I can search GPU offers, …, and keep a CPU standby for them." */
export function capabilities(): string {
  // Every tool declares its phrase, so the answer never leaves out, or denies, something gpuops can do.
  const phrases = [...new Set(DECLARED.map((declaration) => declaration.can))];
  return `I can ${phrases.slice(0, -1).join(', ')} and ${phrases.at(-1)}.`;
}

export function helpText(): string {
  return [
    'I find, rent and run GPUs on the marketplace for this channel. Things you can say:',
    ...EXAMPLES.map((e) => `  • ${e}`),
    capabilities(),
    'Prices are per GPU per hour. Deploy, pause, resume and destroy run as jobs with progress here; destroy asks first.',
  ].join('\n');
}

/** The one "not understood" answer: why, what gpuops can do, and requests that work. */
export function notUnderstood(reason = "Sorry, I didn't understand that."): string {
  return [
    `${reason} ${capabilities()}`,
    'Try one of these:',
    ...FALLBACK_EXAMPLES.map((e) => `  • ${e}`),
    'Say "help" for everything I can do.',
  ].join('\n');
}
