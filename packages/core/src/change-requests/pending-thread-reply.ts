import { createHash } from 'node:crypto';
import type { ReviewThread } from '../specifications/change-request.js';

/**
 * A reply (and resolution) a review reaction owes a thread once its work is published. It is
 * kept in the item's record from the reaction's end and sent on this and later ticks until the
 * forge took it, so a refusal or a crash loses no reply; `marker` (hidden in `body`) tells a
 * reply the forge already holds from one still to send, so none is posted twice.
 */
export interface PendingThreadReply {
  threadId: string;
  body: string;
  marker: string;
  /** The forge holds the reply; only the resolution is left. */
  replied: boolean;
}

/**
 * The hidden marker of the reply to `threadId` for the work pushed as `head`: the same thread
 * answered again after a later round gets a new one. Hashed, because thread ids are the forge's
 * own strings and must not end the HTML comment early.
 */
export function replyMarkerFor(threadId: string, head: string): string {
  const digest = createHash('sha256').update(`${threadId}\n${head}`).digest('hex').slice(0, 20);
  return `<!-- loompa-reply ${digest} -->`;
}

/** The replies owed to the threads a review reaction addressed in `head`. */
export function pendingRepliesFor(threads: readonly ReviewThread[], head: string): PendingThreadReply[] {
  return threads.map((thread) => {
    const marker = replyMarkerFor(thread.id, head);
    return {
      threadId: thread.id,
      body: `Addressed in ${head.slice(0, 12)}.\n\n${marker}`,
      marker,
      replied: false,
    };
  });
}

/** True when the thread already holds the reply carrying `marker` (sent before a crash or a lost answer). */
export function threadHoldsReply(thread: ReviewThread | undefined, marker: string): boolean {
  return thread?.comments.some((comment) => comment.body.includes(marker)) ?? false;
}
