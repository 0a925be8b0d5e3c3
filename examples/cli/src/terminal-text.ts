import { stripVTControlCharacters } from 'node:util';

/**
 * Control and layout characters left once escape sequences are gone: C0 and C1 controls (a
 * newline, a carriage return or a lone ESC would start a line of its own or move the cursor),
 * the Unicode line and paragraph separators, and the bidirectional overrides that make text
 * read in another order than it is written.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters removed.
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Text from forges, trackers, CI logs and WORKFLOW.md as one plain terminal line: escape
 * sequences (colours, cursor moves, window titles, links) are removed and every other control
 * character becomes a space, so a hostile check or test name can neither forge a row nor
 * repaint the screen.
 */
export function terminalText(text: string): string {
  return stripVTControlCharacters(text).replace(controlCharacters, ' ');
}
