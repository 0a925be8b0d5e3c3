/**
 * Comments written with a key carry an invisible marker, so the tracker finds its own earlier
 * comment and edits it instead of piling up a new one per tick.
 */

const keyPattern = /^[A-Za-z0-9._:-]+$/;

export function commentMarker(key: string): string {
  // Keys are the orchestrator's own names; anything else is encoded so it cannot end the comment.
  const safeKey = keyPattern.test(key) ? key : encodeURIComponent(key).replaceAll('-', '%2D');
  return `<!-- loompa:comment-key=${safeKey} -->`;
}

export function withMarker(body: string, key: string): string {
  return `${body}\n\n${commentMarker(key)}`;
}

export function hasMarker(body: string | null | undefined, key: string): boolean {
  return (body ?? '').includes(commentMarker(key));
}

/** The text a person reads: the body without any Loompa marker. */
export function withoutMarkers(body: string): string {
  return body.replace(/\s*<!-- loompa:comment-key=[^ ]* -->\s*$/, '');
}
