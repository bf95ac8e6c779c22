import type { ModelToolCall } from './agent-model.ts';

/**
 * Tool calls a model wrote as text: what vLLM and Ollama send back when the server has no tool
 * parser for the model (Hermes/Qwen `<tool_call>{...}</tool_call>`, Llama 3.1
 * `<|python_tag|>{...}`, or a bare `{"name": ..., "arguments": ...}`, in a code fence or not).
 */

export type TextToolCalls =
  | { kind: 'none' }
  /** Every call read cleanly, each naming a known tool. */
  | { kind: 'calls'; calls: ModelToolCall[] }
  /** It looks like tool calls, but they cannot be read exactly: they are not run. */
  | { kind: 'unreadable' };

/** How to make a server send tool calls as tool calls, for the user to pass on to whoever runs it. */
export const TOOL_CALLING_HINT =
  'The model wrote its tool call as text, which means its server is not parsing tool calls. Enable tool calling on the server: vLLM needs --enable-auto-tool-choice and a --tool-call-parser for the model (hermes for Qwen, llama3_json for Llama 3.1); on Ollama, use a model with tool support (llama3.1, qwen2.5).';

const TAGGED = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g;
const PYTHON_TAG = /<\|python_tag\|>\s*([\s\S]*?)\s*(?:<\|eom_id\|>|<\|eot_id\|>|$)/;
const FENCED = /^```(?:json)?\s*([\s\S]*?)\s*```$/;

export function readTextToolCalls(text: string, knownTools: ReadonlySet<string>): TextToolCalls {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'none' };
  const bodies: string[] = [];
  for (const match of trimmed.matchAll(TAGGED)) bodies.push(match[1]!);
  if (bodies.length === 0) {
    const tagged = PYTHON_TAG.exec(trimmed);
    const unfenced = FENCED.exec(trimmed)?.[1] ?? trimmed;
    if (tagged) bodies.push(tagged[1]!);
    else if (/^[[{]/.test(unfenced) && /"name"\s*:/.test(unfenced)) bodies.push(unfenced);
  }
  if (bodies.length === 0) {
    // Mentions of a tool call in prose are left as prose; only the tag forms are certain.
    return /<tool_call>|<\|python_tag\|>/.test(trimmed) ? { kind: 'unreadable' } : { kind: 'none' };
  }
  const calls: ModelToolCall[] = [];
  for (const body of bodies) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { kind: 'unreadable' };
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const call = asCall(item, knownTools, calls.length);
      if (!call) return { kind: 'unreadable' };
      calls.push(call);
    }
  }
  return calls.length > 0 ? { kind: 'calls', calls } : { kind: 'none' };
}

function asCall(item: unknown, knownTools: ReadonlySet<string>, index: number): ModelToolCall | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const {
    name,
    arguments: args,
    parameters,
  } = item as { name?: unknown; arguments?: unknown; parameters?: unknown };
  const given = args ?? parameters ?? {};
  if (typeof name !== 'string' || !knownTools.has(name)) return undefined;
  // Some servers send the arguments as a JSON string inside the JSON.
  let object: unknown = given;
  if (typeof given === 'string') {
    try {
      object = given.trim() === '' ? {} : JSON.parse(given);
    } catch {
      return undefined;
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  return { id: `text_call_${index + 1}`, name, args: object as Record<string, unknown> };
}
