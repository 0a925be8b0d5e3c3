/**
 * The marker a tracker keeps in the description of an issue created with a `key`
 * (`NewIssue.key`), so `findIssueByKey` finds it again: an HTML comment, invisible where the
 * description is rendered as Markdown. Keys are Loompa's own (`flaky-test:<fingerprint>`),
 * but anything outside `[A-Za-z0-9:._-]` is dropped so a key can never close the comment.
 */
export function issueKeyMarker(key: string): string {
  return `<!-- loompa:issue-key=${safeIssueKey(key)} -->`;
}

const safeIssueKey = (key: string) => key.replace(/[^A-Za-z0-9:._-]/g, '').slice(0, 200);

/** The description with the key's marker at its end (once). */
export function withIssueKeyMarker(description: string | null | undefined, key: string): string {
  const text = description ?? '';
  if (hasIssueKeyMarker(text, key)) return text;
  return text === '' ? issueKeyMarker(key) : `${text}\n\n${issueKeyMarker(key)}`;
}

export function hasIssueKeyMarker(description: string | null | undefined, key: string): boolean {
  return (description ?? '').includes(issueKeyMarker(key));
}
