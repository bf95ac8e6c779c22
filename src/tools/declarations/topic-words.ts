/** Words that put a request on one family of tools' topic, shared by the family's declarations. */

export const SNAPSHOT_TALK =
  /\b(?:snapshots?|snapshotting|snap-\d+|back\s*ups?|back(?:ing)?\s+(?:\S+\s+)?up|restore|checkpoints?|retention)\b/i;

export const IDLE_TALK = /\b(?:idle|idling|auto[\s-]?paus\w*|keep\s+\S+\s+(?:running|up|alive))\b/i;

/** Words of a question about which GPU fits a model, which the advisor answers. */
export const ADVICE_TALK =
  /\b(?:models?|serv(?:e|ing)|inference|train(?:ing)?|fine[\s-]?tun\w*|q?lora|vram|memory|llm|llama|qwen|mistral|mixtral|gemma|deepseek|phi|tokens?|\d+(?:\.\d+)?\s*b)\b/i;

export const STANDBY_TALK = /\b(?:stand[\s-]?by|cpu\s+(?:vm|machine|fallback))\b/i;

/** A snapshot named as a thing ("the snapshot", "backups"), for the readings of the snapshot tools. */
export const SNAPSHOT_NOUN = /\b(?:snapshots?|snaps?|back-?ups?|checkpoints?)\b/;
