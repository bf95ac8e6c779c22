/** Which instances a request to list them asks for: list_instances' `state`. */

// "what's running?" asks for the overview, not for a state filter.
const WHAT_IS_RUNNING =
  /\b(?:what(?:'s|s|\s+is|\s+are)?|anything|everything)\s+(?:\w+\s+)?running\b|\bwhat\s+do\s+(?:i|we)\s+have\s+running\b/;

export function listArgs(text: string): Record<string, unknown> {
  if (/\b(?:stopped|paused|suspended|inactive|sleeping|halted)\b/.test(text)) return { state: 'stopped' };
  if (/\brunning\b/.test(text) && !WHAT_IS_RUNNING.test(text)) return { state: 'running' };
  // "all my instances" means the current ones; destroyed ones only when asked for.
  if (/\b(?:includ\w*|destroyed|terminated|deleted|history|past|ever|everything)\b/.test(text)) {
    return { state: 'all' };
  }
  if (/\bactive\b/.test(text)) return { state: 'active' };
  return {};
}
