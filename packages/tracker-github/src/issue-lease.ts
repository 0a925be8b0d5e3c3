import { createHash } from 'node:crypto';
import { normalizeName } from '@loompa/core';
import type { LoompaOctokitInstance } from '@loompa/github-client';
import { hasMarker, withMarker } from '@loompa/github-client';

/** Key of the comments that record who holds an issue and until when. */
export const leaseCommentKey = 'loompa-lease';

interface LeaseComment {
  commentId: number;
  /** Digest of the owner (see `ownerDigest`). */
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
  now: () => number;
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
  return withMarker(`Loompa is working on this issue.\n<!-- loompa:lease ${data} -->`, leaseCommentKey);
}

/** Every lease comment the tracker's login wrote on the issue, oldest first. */
async function readLeases(context: LeaseContext): Promise<LeaseComment[]> {
  const comments = await context.octokit.paginate(
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    {
      ...context.repository,
      issue_number: context.issueNumber,
      per_page: 100,
    },
  );
  const login = normalizeName(context.login);
  const leases: LeaseComment[] = [];
  for (const comment of comments) {
    // Only our own comments count: anyone can paste a marker into theirs.
    if (normalizeName(comment.user?.login ?? '') !== login || !hasMarker(comment.body, leaseCommentKey))
      continue;
    const match = leaseDataPattern.exec(comment.body ?? '');
    if (!match) continue;
    try {
      const data = JSON.parse(match[1]!) as { owner?: unknown; expiresAt?: unknown };
      const expiresAt = Date.parse(String(data.expiresAt));
      if (typeof data.owner === 'string' && !Number.isNaN(expiresAt)) {
        leases.push({ commentId: Number(comment.id), owner: data.owner, expiresAt });
      }
    } catch {
      // A mangled lease comment holds nothing.
    }
  }
  return leases.sort((left, right) => left.commentId - right.commentId);
}

/**
 * The lease in force: the oldest one not expired. Comment ids only grow, so every claimant
 * reading the comments agrees on it, however their writes interleaved.
 */
function holderOf(leases: readonly LeaseComment[], now: number): LeaseComment | null {
  return leases.find((lease) => lease.expiresAt > now) ?? null;
}

async function deleteComment(context: LeaseContext, commentId: number): Promise<void> {
  try {
    await context.octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      ...context.repository,
      comment_id: commentId,
    });
  } catch (error) {
    // Already gone is what was wanted.
    if ((error as { status?: number }).status !== 404) throw error;
  }
}

/** Bots (App installations) cannot be assigned to issues; the label and comment carry the lease alone. */
function isAssignable(login: string): boolean {
  return !login.endsWith('[bot]');
}

/**
 * Claims an issue with a lease comment (hashed owner and expiry), the lease label and an
 * assignment to the tracker's login. GitHub has no compare-and-set on issues, so the rule is
 * "the oldest unexpired lease comment holds the issue": a claimant writes its lease, reads the
 * comments back, and withdraws its comment when an older one holds. Renewing edits the
 * holder's own comment, which keeps its place.
 */
export async function claimIssueLease(
  context: LeaseContext & {
    /** Logins the issue is assigned to now. */
    assignees: readonly string[];
    leaseMs: number;
    addLeaseLabel(): Promise<void>;
  },
): Promise<boolean> {
  const claimant = ownerDigest(context.claimant);
  const leases = await readLeases(context);
  const holder = holderOf(leases, context.now());
  if (holder && holder.owner !== claimant) return false;
  const body = leaseBody(context.claimant, context.now() + context.leaseMs);
  const own = holder ?? leases.find((lease) => lease.owner === claimant) ?? null;
  let createdCommentId: number | null = null;
  if (own) {
    await context.octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      ...context.repository,
      comment_id: own.commentId,
      body,
    });
  } else {
    const { data } = await context.octokit.request(
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      {
        ...context.repository,
        issue_number: context.issueNumber,
        body,
      },
    );
    createdCommentId = Number(data.id);
  }
  const after = await readLeases(context);
  const holderAfter = holderOf(after, context.now());
  if (holderAfter?.owner !== claimant) {
    if (createdCommentId !== null) await deleteComment(context, createdCommentId);
    return false;
  }
  // Expired leases of others are history now.
  for (const lease of after) {
    if (lease.owner !== claimant && lease.expiresAt <= context.now())
      await deleteComment(context, lease.commentId);
  }
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
  return true;
}

/** Gives up a lease held by `claimant`; a lease held by someone else is left alone. */
export async function releaseIssueLease(
  context: LeaseContext & { removeLeaseLabel(): Promise<void> },
): Promise<void> {
  const claimant = ownerDigest(context.claimant);
  const leases = await readLeases(context);
  const own = leases.filter((lease) => lease.owner === claimant);
  if (own.length === 0) return;
  for (const lease of own) await deleteComment(context, lease.commentId);
  // Another claimant may have written a lease meanwhile; the label and assignment stay for it.
  if (
    holderOf(
      leases.filter((lease) => lease.owner !== claimant),
      context.now(),
    )
  )
    return;
  await context.removeLeaseLabel();
  if (isAssignable(context.login)) {
    await context.octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/assignees', {
      ...context.repository,
      issue_number: context.issueNumber,
      assignees: [context.login],
    });
  }
}
