import { createHash } from 'node:crypto';
import { normalizeName } from '@loompa/core';
import type { LoompaOctokitInstance } from '@loompa/github-client';
import { hasMarker } from './keyed-comments.js';

/** Key of the comment that records who holds an issue and until when. */
export const leaseCommentKey = 'loompa-lease';

interface Lease {
  owner: string;
  expiresAt: number;
}

interface LeaseContext {
  octokit: LoompaOctokitInstance;
  repository: { owner: string; repo: string };
  issueNumber: number;
  claimant: string;
  /** The login the tracker writes as. */
  login: string;
}

const leaseDataPattern = /<!-- loompa:lease (\{.*?\}) -->/;

/**
 * Owners are written hashed: an owner names a machine and a state folder, which a public
 * issue has no business showing.
 */
function ownerDigest(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 16);
}

function leaseBody(owner: string, expiresAt: number): string {
  const data = JSON.stringify({ owner: ownerDigest(owner), expiresAt: new Date(expiresAt).toISOString() });
  return `Loompa is working on this issue.\n<!-- loompa:lease ${data} -->`;
}

async function readLease(context: LeaseContext): Promise<{ lease: Lease; commentId: number } | null> {
  const comments = await context.octokit.paginate(
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    {
      ...context.repository,
      issue_number: context.issueNumber,
      per_page: 100,
    },
  );
  const login = normalizeName(context.login);
  const comment = comments
    .filter(
      (candidate) =>
        normalizeName(candidate.user?.login ?? '') === login && hasMarker(candidate.body, leaseCommentKey),
    )
    .at(-1);
  const match = comment?.body ? leaseDataPattern.exec(comment.body) : null;
  if (!comment || !match) return null;
  try {
    const data = JSON.parse(match[1]!) as { owner?: unknown; expiresAt?: unknown };
    const expiresAt = Date.parse(String(data.expiresAt));
    if (typeof data.owner !== 'string' || Number.isNaN(expiresAt)) return null;
    return { lease: { owner: data.owner, expiresAt }, commentId: Number(comment.id) };
  } catch {
    return null;
  }
}

/** Bots (App installations) cannot be assigned to issues; the label and comment carry the lease alone. */
function isAssignable(login: string): boolean {
  return !login.endsWith('[bot]');
}

/**
 * Claims an issue with a lease comment (owner and expiry, edited in place), the lease label and
 * an assignment to the tracker's login. GitHub has no compare-and-set on issues, so the lease is
 * read back after writing: when two orchestrators claim at once, the one whose write landed last
 * holds it and the other learns so.
 */
export async function claimIssueLease(
  context: LeaseContext & {
    /** Logins the issue is assigned to now. */
    assignees: readonly string[];
    leaseMs: number;
    now: () => number;
    addLeaseLabel(): Promise<void>;
    upsertComment(body: string, key: string): Promise<void>;
  },
): Promise<boolean> {
  const current = await readLease(context);
  const claimant = ownerDigest(context.claimant);
  if (current && current.lease.owner !== claimant && current.lease.expiresAt > context.now()) return false;
  await context.upsertComment(leaseBody(context.claimant, context.now() + context.leaseMs), leaseCommentKey);
  await context.addLeaseLabel();
  const alreadyAssigned = context.assignees.some(
    (login) => normalizeName(login) === normalizeName(context.login),
  );
  if (isAssignable(context.login) && !alreadyAssigned) {
    await context.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/assignees', {
      ...context.repository,
      issue_number: context.issueNumber,
      assignees: [context.login],
    });
  }
  const written = await readLease(context);
  return written?.lease.owner === claimant;
}

/** Gives up a lease held by `claimant`; a lease held by someone else is left alone. */
export async function releaseIssueLease(
  context: LeaseContext & { removeLeaseLabel(): Promise<void> },
): Promise<void> {
  const current = await readLease(context);
  if (!current || current.lease.owner !== ownerDigest(context.claimant)) return;
  await context.octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
    ...context.repository,
    comment_id: current.commentId,
  });
  await context.removeLeaseLabel();
  if (isAssignable(context.login)) {
    await context.octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/assignees', {
      ...context.repository,
      issue_number: context.issueNumber,
      assignees: [context.login],
    });
  }
}
