/**
 * `text` in a fenced code block whose fence is longer than any backtick run inside it, so a
 * log line holding ``` cannot close the block and turn the rest into markdown.
 */
export function markdownCodeBlock(text: string): string {
  const longestRun = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}text\n${text.trimEnd()}\n${fence}`;
}

/** One line of untrusted text for a markdown list or title: no line breaks, bounded. */
export function singleLine(text: string, maximumLength = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maximumLength ? `${flat.slice(0, maximumLength - 1)}…` : flat;
}
