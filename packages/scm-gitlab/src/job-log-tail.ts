/**
 * GitLab job logs carry terminal colours and collapsible-section markers
 * (`section_start:<time>:<name>\r\x1b[0K`); the agent reads plain text. The tail is cut at
 * a byte budget without splitting a UTF-8 character.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched.
const ansiPattern = /\x1b\[[0-9;?]*[A-Za-z]/g;
const sectionPattern = /section_(start|end):\d+:[^\r\n]*\r?/g;

export function plainJobLog(log: string): string {
  return log.replace(sectionPattern, '').replace(ansiPattern, '').replace(/\r\n/g, '\n');
}

export function tailBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Skip continuation bytes (10xxxxxx) so the tail starts on a character boundary.
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start += 1;
  return bytes.subarray(start).toString('utf8');
}
