/**
 * Loompa's keyed notes (one status note kept up to date instead of a new note per update)
 * carry their key in an HTML comment, which GitLab renders invisibly. Both GitLab plugins
 * write and find them the same way.
 */

const markerPattern = /\n*<!-- loompa:key=([^ >]+) -->\s*$/;

/** The body with its key marker appended. */
export function withKeyMarker(body: string, key: string): string {
  return `${body}\n\n<!-- loompa:key=${encodeURIComponent(key)} -->`;
}

/** The key a note body carries, or null. */
export function keyOfNote(body: string): string | null {
  const match = markerPattern.exec(body);
  return match ? decodeURIComponent(match[1]!) : null;
}

/** The body as people read it: without the key marker. */
export function withoutKeyMarker(body: string): string {
  return body.replace(markerPattern, '');
}
