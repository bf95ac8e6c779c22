/**
 * How model names are read: the same tokeniser runs over catalog names and over what people type,
 * so "Llama-3.1-70B-Instruct", "llama3.1 70b" and "meta-llama/Llama-3.1-70B" all become the tokens
 * [llama, 3.1, 70b] and the key "llama3.170b".
 */

// Tags that say how a checkpoint is packaged or quantised, not which model it is ("-AWQ",
// "q4_K_M", ".gguf", "-4bit"). Only removed when glued to a name with a separator, so a sentence's
// "in 4-bit" is left for the precision reader.
const PACKAGING =
  /[-_.:](?:gguf|ggml|awq|gptq|exl2|mlx|bnb|onnx|fp8|fp16|bf16|fp32|int4|int8|nf4|w4a16|w8a8|\d{1,2}-?bits?|i?q\d(?:_[a-z0-9]+)*)(?=$|[\s\-_.:/])/g;

// Release dates and context variants glued to names: "-2407", "-0528", "-08-2024", "-128k", "-v01".
const RELEASE_TAG = /[-_](?:\d{2}[-_]\d{4}|\d{4}|\d+k|v\d{2})(?=$|[\s\-_.:/])/g;
// Point releases that keep the architecture ("Mixtral-8x22B-Instruct-v0.1", "Mistral 7B v0.3",
// "bge-large-en-v1.5"): no two catalog models differ by one of these alone.
const POINT_RELEASE = /(?:^|[\s\-_])v[01]\.\d+(?=$|[\s\-_:/])/g;

// Words that never tell models apart: chat templates, packaging, vendors, filler.
const NOISE = new Set([
  'instruct',
  'chat',
  'it',
  'hf',
  'base',
  'model',
  'models',
  'llm',
  'weights',
  'checkpoint',
  'latest',
  'preview',
  'original',
  'version',
  'release',
  'the',
  'meta',
  'google',
  'microsoft',
  'mistralai',
  'c4ai',
  'cohereforai',
  'coherelabs',
  'ai',
  'tiiuae',
  'baai',
  'intfloat',
  'stabilityai',
  'openai',
  'nousresearch',
  'unsloth',
  'thebloke',
]);

const TOKEN =
  /\d+x\d+(?:\.\d+)?b(?![a-z])|a\d+(?:\.\d+)?b(?![a-z])|\d+(?:\.\d+)?[bm](?![a-z])|\d+(?:\.\d+)?|[a-z]+/g;

/** The tokens of a model name, in order, without the words that never tell models apart. */
export function modelTokens(text: string): string[] {
  let t = text.toLowerCase();
  // "meta-llama/Llama-3.1-8B": the organisation before the slash is not part of the name.
  t = t.replace(/(^|\s)[a-z0-9_.-]+\/(?=[a-z0-9])/g, '$1');
  t = t.replace(PACKAGING, ' ').replace(RELEASE_TAG, ' ').replace(POINT_RELEASE, ' ');
  t = t
    .replace(/\+/g, ' plus ')
    .replace(/(\d+(?:\.\d+)?)\s*(?:bn|billion)\b/g, '$1b')
    .replace(/(\d+(?:\.\d+)?)\s*million\b/g, '$1m')
    .replace(/(\d)\s+b\b/g, '$1b')
    // A dot only belongs to a number ("3.1", "v0.3"); elsewhere ("flux.1", "gguf.") it separates.
    .replace(/(?<!\d)\.|\.(?!\d)/g, ' ')
    .replace(/[^a-z0-9.]+/g, ' ');
  const tokens: string[] = [];
  for (const chunk of t.split(' ')) {
    // Vendor words that hold digits ("c4ai") would otherwise be split into pieces first.
    if (chunk === '' || NOISE.has(chunk)) continue;
    for (const m of chunk.matchAll(TOKEN)) {
      const token = m[0];
      if (!NOISE.has(token)) tokens.push(token);
    }
  }
  return tokens;
}

/**
 * The lookup key of a model name: its tokens run together ("Llama 3 70B" → "llama370b",
 * "qwen 2.5 7b instruct" → "qwen2.57b"). ModelSpec.aliases hold keys in this form.
 */
export function normaliseModelText(text: string): string {
  return modelTokens(text).join('');
}

/** A size token: "70b", "0.5b", "335m", "8x7b". */
export function isSizeToken(token: string): boolean {
  return /^\d+(?:\.\d+)?[bm]$|^\d+x\d+(?:\.\d+)?b$/.test(token);
}

/** A bare number, which in a model name is a version ("3.1", "2"). */
export function isNumberToken(token: string): boolean {
  return /^\d+(?:\.\d+)?$/.test(token);
}
