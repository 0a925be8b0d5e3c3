import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowError } from '../errors/error-classes.js';
import { type LoadWorkflowOptions, parseWorkflow, type Workflow } from './load-workflow.js';

export interface WatchWorkflowOptions extends LoadWorkflowOptions {
  /** Called with each new valid workflow (content changed and validated). */
  onChange: (workflow: Workflow) => void;
  /** Called when an edit is invalid or the file is gone; the last good workflow stays in force. */
  onError: (error: WorkflowError) => void;
  /** Quiet time after the last file event before reloading, so a burst becomes one reload. */
  debounceMs?: number;
  /**
   * Safety-net re-check interval. Folder events cover in-place writes, atomic renames and
   * delete-then-recreate, but some filesystems (network mounts, some containers) drop events.
   */
  pollIntervalMs?: number;
  /** Content hash of the workflow already in force; defaults to the file as it is now. */
  initialContentHash?: string;
}

function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function fileMissingError(filePath: string): WorkflowError {
  return new WorkflowError(filePath, [
    {
      yamlPath: '',
      line: null,
      column: null,
      expected: 'a readable WORKFLOW.md',
      found: 'file not found',
      message: 'file not found (keeping the last valid workflow)',
    },
  ]);
}

/**
 * Watches a WORKFLOW.md and reports each new valid version or each new problem. It watches
 * the folder, not the file: editors that save by renaming a temporary file over the original
 * (or delete and recreate it) replace the inode a file watch would stay bound to.
 * Returns a function that stops watching.
 */
export function watchWorkflow(filePath: string, options: WatchWorkflowOptions): () => void {
  const absolutePath = path.resolve(filePath);
  const fileName = path.basename(absolutePath);
  const debounceMs = options.debounceMs ?? 150;
  let lastSeenHash: string | null = options.initialContentHash ?? null;
  if (lastSeenHash === null) {
    try {
      lastSeenHash = hashText(readFileSync(absolutePath, 'utf8'));
    } catch {
      lastSeenHash = null;
    }
  }
  let lastGoodHash = lastSeenHash;
  // After an error, even the last good content must be reported again: the caller marked
  // the workflow invalid and needs to hear that it is valid once more.
  let errorReported = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let pending = false;

  const check = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(absolutePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // A delete-and-recreate passes through this state; debouncing usually hides it, and
      // a lasting absence is reported once.
      if (lastSeenHash !== 'missing') {
        lastSeenHash = 'missing';
        errorReported = true;
        if (!stopped) options.onError(fileMissingError(absolutePath));
      }
      return;
    }
    const hash = hashText(text);
    if (hash === lastSeenHash) return;
    lastSeenHash = hash;
    try {
      const workflow = parseWorkflow(text, absolutePath, options);
      if ((hash === lastGoodHash && !errorReported) || stopped) return;
      lastGoodHash = hash;
      errorReported = false;
      options.onChange(workflow);
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      errorReported = true;
      if (!stopped) options.onError(error);
    }
  };

  /** Runs checks one at a time; a request during a check runs one more afterwards. */
  const requestCheck = () => {
    if (stopped) return;
    if (running) {
      pending = true;
      return;
    }
    running = check()
      .catch(() => {})
      .finally(() => {
        running = null;
        if (pending) {
          pending = false;
          requestCheck();
        }
      });
  };

  const schedule = () => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      requestCheck();
    }, debounceMs);
  };

  let watcher: FSWatcher | null = null;
  const startWatcher = () => {
    try {
      watcher = watch(path.dirname(absolutePath), { persistent: false }, (_event, changedName) => {
        if (changedName === null || changedName === fileName) schedule();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null;
    }
  };
  startWatcher();

  const poll = setInterval(() => {
    if (!watcher) startWatcher();
    requestCheck();
  }, options.pollIntervalMs ?? 1_000);
  poll.unref();

  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    clearInterval(poll);
    watcher?.close();
  };
}
