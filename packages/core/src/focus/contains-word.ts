function escapeRegularExpression(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when `word` (or phrase) appears in `text` as a whole word, case-insensitively: `fix`
 * matches "Fix: crash" and "bug-fix" but not "prefix" or "fixes". Focus keywords and profile
 * keywords use the same rule, so a keyword means the same thing in both places.
 */
export function containsWord(text: string, word: string): boolean {
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escapeRegularExpression(word)}($|[^\\p{L}\\p{N}_])`, 'iu').test(
    text,
  );
}
