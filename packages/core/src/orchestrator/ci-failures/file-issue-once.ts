import type { Logger } from '../../logging/logger.js';
import type { Issue } from '../../specifications/issue.js';
import type { NewIssue, TrackerV1 } from '../../specifications/tracker.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';

export interface FileIssueOnceContext {
  tracker: TrackerV1;
  store: OrchestratorStore;
  logger: Logger;
  abortSignal?: AbortSignal;
}

/** What is kept under `filing/<key>` between asking the tracker and writing the outcome down. */
interface FilingIntent {
  key: string;
  title: string;
  at: string;
}

const intentKey = (key: string) => `filing/${key}`;

/**
 * The issue an earlier, cut-short filing under `key` created, when one is pending and the
 * tracker can look issues up by key; the caller writes it down and calls `settleFiling`.
 */
export async function recoverFiledIssue(context: FileIssueOnceContext, key: string): Promise<Issue | null> {
  const { tracker, store, logger, abortSignal } = context;
  const pending = await store.get<FilingIntent>(intentKey(key));
  if (!pending) return null;
  if (!tracker.findIssueByKey) {
    logger.warn('an issue filing was cut short and the tracker cannot look issues up by key; filing again', {
      tracker: tracker.name,
      title: pending.title,
    });
    return null;
  }
  return tracker.findIssueByKey({ key, ...(abortSignal ? { abortSignal } : {}) });
}

/** The filing under `key` is written down: nothing is pending any more. */
export function settleFiling(store: OrchestratorStore, key: string): Promise<void> {
  return store.delete(intentKey(key));
}

/**
 * Files one tracker issue per `key`, even when the process dies between the tracker creating
 * it and the caller writing it down: the intent is stored first, and a filing found pending
 * (an earlier instance was cut short) asks the tracker for the issue carrying the key before
 * creating it again. `save` writes the caller's record; the intent is cleared after it.
 * Returns null when the tracker cannot create issues.
 */
export async function fileIssueOnce(
  context: FileIssueOnceContext,
  issue: NewIssue & { key: string },
  save: (filed: Issue, created: boolean) => Promise<void>,
): Promise<{ issue: Issue; created: boolean } | null> {
  const { tracker, store, abortSignal } = context;
  if (!tracker.createIssue) return null;
  const found = await recoverFiledIssue(context, issue.key);
  if (found) {
    await save(found, false);
    await settleFiling(store, issue.key);
    return { issue: found, created: false };
  }
  await store.set<FilingIntent>(intentKey(issue.key), {
    key: issue.key,
    title: issue.title,
    at: new Date().toISOString(),
  });
  const created = await tracker.createIssue({ issue, ...(abortSignal ? { abortSignal } : {}) });
  await save(created, true);
  await settleFiling(store, issue.key);
  return { issue: created, created: true };
}
