/**
 * The last `maxBytes` bytes of a log (a check's or a job's), as forges' log tails are handed to
 * the agent: cut at a byte budget without splitting a UTF-8 character.
 */
export function tailBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Skip continuation bytes (10xxxxxx) so the tail starts on a character boundary.
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start += 1;
  return bytes.subarray(start).toString('utf8');
}
