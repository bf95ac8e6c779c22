/**
 * What a terminal must not be sent from text people wrote: escape sequences (which can move the
 * cursor, rewrite lines already shown, set the window title or write to the clipboard), other
 * control characters (a carriage return overwrites the line it is on), and the Unicode direction
 * overrides and isolates that make text read differently from what it says. Newlines and tabs stay.
 */
// OSC … BEL/ST, DCS/SOS/PM/APC … ST, CSI … final byte (7-bit and 8-bit), then any other ESC pair.
const ESCAPE_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  /\x1b\][\s\S]*?(?:\x07|\x1b\\|$)|\x1b[PX^_][\s\S]*?(?:\x1b\\|$)|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|\x1b[\s\S]?/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with escape sequences, control characters (but newline and tab) and bidi controls removed. */
export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '').replace(BIDI, '');
}

/**
 * JSON text whose characters a terminal would act on (C1 controls, bidi controls) are written as
 * \u escapes: the same JSON value, shown inert. JSON.stringify already escapes C0 controls.
 */
export function inertJson(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
