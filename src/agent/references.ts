import type { AgentMessage } from './agent-model.ts';

/** "pause it", "destroy that one", "status of the machine": an instance named only by reference. */
// Longer phrases first, so "that one" is not read as "that".
const REFERENCE = String.raw`(?:that\s+one|this\s+one|the\s+new\s+one|that\s+instance|this\s+instance|the\s+instance|that\s+machine|this\s+machine|the\s+machine|it|that|this|them)`;
const VERB = String.raw`(?:pause|stop|suspend|resume|unpause|restart|start|wake(?:\s+up)?|destroy|terminate|delete|kill|remove|tear\s+down|status\s+of|check(?:\s+on)?|how\s+is)`;
const REFERRING = new RegExp(String.raw`\b(${VERB})\s+(${REFERENCE})\b`, 'i');
const INSTANCE = /\bi-(\d+)\b/g;

export type Resolved =
  | { kind: 'none' }
  | { kind: 'resolved'; text: string; instance: string }
  | { kind: 'ambiguous'; question: string };

/**
 * Reads "pause it" in a conversation: when the request names no instance and refers to one, the
 * instance the latest turn that mentioned any was about stands in for the reference. Several
 * instances in that turn are asked about, never guessed. What this resolves is still the model's
 * choice, not the user's words, so a costly or irreversible call on it asks first.
 */
export function resolveInstanceReference(text: string, earlier: readonly AgentMessage[]): Resolved {
  if (/\bi-\d+\b/.test(text)) return { kind: 'none' };
  const match = REFERRING.exec(text);
  if (!match) return { kind: 'none' };
  for (const message of [...earlier].reverse()) {
    if (message.role === 'tool') continue;
    const ids = [...new Set([...message.content.matchAll(INSTANCE)].map((m) => m[0]))];
    if (ids.length === 0) continue;
    if (ids.length > 1) {
      return {
        kind: 'ambiguous',
        question: `Which one: ${ids.slice(0, -1).join(', ')} or ${ids.at(-1)}? Say e.g. "${match[1]} ${ids[0]}".`,
      };
    }
    const instance = ids[0]!;
    return {
      kind: 'resolved',
      instance,
      text: `${text.slice(0, match.index)}${match[1]} ${instance}${text.slice(match.index + match[0].length)}`,
    };
  }
  return { kind: 'none' };
}
