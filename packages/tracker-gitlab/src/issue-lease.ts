import { withoutKeyMarker } from '@loompa/gitlab-client';

/**
 * The lease an orchestrator holds on an issue, kept in a note so every orchestrator reading
 * the issue sees it: a sentence for people and a machine-readable comment for Loompa.
 */

const leasePattern = /<!-- loompa:lease (\{.*\}) -->/;

export function leaseNoteBody(owner: string, expiresAt: Date): string {
  const data = JSON.stringify({ owner, expiresAt: expiresAt.toISOString() });
  return `Loompa is working on this issue (lease held by ${owner} until ${expiresAt.toISOString()}).\n\n<!-- loompa:lease ${data} -->`;
}

export function parseLeaseNote(body: string): { owner: string; expiresAt: Date } | null {
  const match = leasePattern.exec(withoutKeyMarker(body));
  if (!match) return null;
  try {
    const data = JSON.parse(match[1]!) as { owner?: unknown; expiresAt?: unknown };
    if (typeof data.owner !== 'string' || typeof data.expiresAt !== 'string') return null;
    const expiresAt = new Date(data.expiresAt);
    return Number.isNaN(expiresAt.getTime()) ? null : { owner: data.owner, expiresAt };
  } catch {
    return null;
  }
}
