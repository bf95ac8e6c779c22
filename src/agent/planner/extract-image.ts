import { resolveGpu } from '../../cloud/gpu-catalog.ts';
import type { Extraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * Docker images. An explicit reference ("vllm/vllm-openai:latest", "ghcr.io/org/app:v2",
 * "ubuntu:22.04") is kept exactly as written; a framework named in words ("with pytorch", "for
 * vllm") becomes that project's usual image.
 */

/** Framework words and the image each stands for. The first one named in the request wins. */
const IMAGE_KEYWORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:py)?torch\b/, 'pytorch/pytorch:latest'],
  [/\bvllm\b/, 'vllm/vllm-openai:latest'],
  [/\btensor\s?flow\b/, 'tensorflow/tensorflow:latest-gpu'],
  [/\bcuda\b/, 'nvidia/cuda:12.4.1-devel-ubuntu22.04'],
  // AI-Dock's ComfyUI image is built for rented GPU hosts such as vast.ai (auth, ports, provisioning).
  [/\bcomfy\s?(?:ui)?\b/, 'ghcr.io/ai-dock/comfyui:latest'],
  // The Jupyter project's CUDA build of its PyTorch notebook stack.
  [/\bjupyter(?:\s?lab)?\b|\bnotebooks?\b/, 'quay.io/jupyter/pytorch-notebook:cuda12-latest'],
  [/\bollama\b/, 'ollama/ollama:latest'],
  [/\b(?:tgi|text[\s-]generation[\s-]inference)\b/, 'ghcr.io/huggingface/text-generation-inference:latest'],
  [/\bsglang\b/, 'lmsysorg/sglang:latest'],
  [/\bubuntu\b/, 'ubuntu:22.04'],
];

/** Matches the deploy schema's image pattern; the tag part is optional. */
const REFERENCE =
  /^[a-z0-9][a-z0-9._-]*(?::\d+)?(?:\/[a-z0-9][a-z0-9._-]*)*(?::[a-z0-9_][a-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/i;
// Publishers whose images people name without a tag ("pytorch/pytorch").
const KNOWN_PUBLISHERS =
  /^(?:pytorch|nvidia|vllm|tensorflow|huggingface|ollama|lmsysorg|runpod|vastai|jupyter|continuumio|ubuntu|library|rocm|nvcr\.io|ghcr\.io|docker\.io|quay\.io|public\.ecr\.aws)$/i;
// Words near a "/" that mark it as an image ("with", "image", "using").
const IMAGE_CONTEXT = /\b(?:image|container|docker|with|using|use|run|running|from)\s*[:=]?\s*$/;
// "/hr", "per/gpu", "and/or": slashes that are not image paths.
const NOT_A_PATH_SEGMENT =
  /^(?:h|hr|hrs|hour|hours|d|day|days|mo|month|week|gpu|gpus|card|cards|and|or|per|vs|\$|usd)$/i;
// "disk:200", "region:eu": settings, not images.
const SETTING_NAMES =
  /^(?:disk|storage|image|region|price|gpu|gpus|count|limit|order|reliability|state|max|min|budget|instance)$/i;

const LIKELY_TAG = /\d|-|^(?:latest|stable|nightly|edge|main|slim|devel|runtime)$/i;

const TOKEN = /[^\s,;!?()"'<>]+/g;

export function extractImage(unread: UnreadText, out: Extraction): void {
  TOKEN.lastIndex = 0;
  const source = unread.original;
  for (let m = TOKEN.exec(source); m !== null; m = TOKEN.exec(source)) {
    const token = m[0].replace(/[.:]+$/, '');
    if (out.image === undefined && isImageReference(token, source.slice(0, m.index))) {
      out.image = token;
      unread.consume(m.index, m.index + token.length);
    }
  }
  if (out.image === undefined) extractNamedImage(unread, out);
}

function isImageReference(token: string, before: string): boolean {
  if (token.includes('://') || !REFERENCE.test(token)) return false;
  const [path = '', tag] = splitTag(token);
  if (!/[a-z]/i.test(path)) return false;
  const segments = path.split('/');
  if (tag !== undefined) {
    if (SETTING_NAMES.test(path) || resolveGpu(path)) return false;
    // "ubuntu:22.04" is an image, "note:something" is just a colon in a sentence.
    return segments.length > 1 || LIKELY_TAG.test(tag);
  }
  if (segments.length < 2) return false;
  if (segments.some((s) => !/[a-z]/i.test(s) || NOT_A_PATH_SEGMENT.test(s) || resolveGpu(s))) return false;
  return (
    KNOWN_PUBLISHERS.test(segments[0]!) ||
    segments[0]!.includes('.') ||
    IMAGE_CONTEXT.test(before.toLowerCase())
  );
}

/** Splits "repo/name:tag" into path and tag; a registry port ("host:5000/x") is not a tag. */
function splitTag(token: string): [string, string | undefined] {
  const withoutDigest = token.replace(/@sha256:[a-f0-9]+$/i, '');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon === -1 || withoutDigest.indexOf('/', colon) !== -1) return [withoutDigest, undefined];
  return [withoutDigest.slice(0, colon), withoutDigest.slice(colon + 1)];
}

/** "image ubuntu" / "image: my-app" (a bare name after the word image), then framework words. */
function extractNamedImage(unread: UnreadText, out: Extraction): void {
  let best: { at: number; end: number; image: string } | undefined;
  for (const [pattern, image] of IMAGE_KEYWORDS) {
    const m = pattern.exec(unread.text);
    if (m && (best === undefined || m.index < best.at))
      best = { at: m.index, end: m.index + m[0].length, image };
  }
  if (best) {
    out.image = best.image;
    // Taken, so "in pytorch" is not read as a place.
    unread.consume(best.at, best.end);
    return;
  }
  unread.take(/\b(?:docker\s+)?image\s*[:=]?\s*([a-z0-9][a-z0-9._-]{1,60})\b/g, (m) => {
    const name = m[1]!;
    if (
      out.image !== undefined ||
      /^(?:with|for|and|the|of|on|in|under|at|to|is|please|that|which)$/.test(name)
    ) {
      return false;
    }
    const start = m.index + m[0].length - name.length;
    out.image = unread.original.slice(start, start + name.length);
    return true;
  });
}
