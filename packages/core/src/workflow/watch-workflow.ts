import { createHash } from 'node:crypto';
import { type BigIntStats, type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowError } from '../errors/error-classes.js';
import { describeError } from '../errors/loompa-error.js';
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

function unreadableFileError(filePath: string, error: unknown): WorkflowError {
  const code = (error as NodeJS.ErrnoException).code;
  const found = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? describeError(error)})`;
  return new WorkflowError(
    filePath,
    [
      {
        yamlPath: '',
        line: null,
        column: null,
        expected: 'a readable WORKFLOW.md',
        found,
        message: `${found} (keeping the last valid workflow)`,
      },
    ],
    { cause: error },
  );
}

/** Anything a plugin schema throws is still a problem with this file, reported like the others. */
function asWorkflowError(filePath: string, error: unknown): WorkflowError {
  if (error instanceof WorkflowError) return error;
  return new WorkflowError(
    filePath,
    [
      {
        yamlPath: '',
        line: null,
        column: null,
        expected: 'a workflow the plugins accept',
        found: describeError(error),
        message: describeError(error),
      },
    ],
    { cause: error },
  );
}

/** Identity of the file on disk as the safety-net poll sees it. */
function signatureOf(stats: BigIntStats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

function missingSignature(error: unknown): string {
  return `missing:${(error as NodeJS.ErrnoException).code ?? ''}`;
}

async function fileSignature(filePath: string): Promise<string> {
  try {
    return signatureOf(await stat(filePath, { bigint: true }));
  } catch (error) {
    return missingSignature(error);
  }
}

function fileSignatureNow(filePath: string): string {
  try {
    return signatureOf(statSync(filePath, { bigint: true }));
  } catch (error) {
    return missingSignature(error);
  }
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
      // A delete-and-recreate passes through this state; debouncing usually hides it, and
      // a lasting absence (or unreadable file) is reported once.
      const state = `unreadable:${(error as NodeJS.ErrnoException).code ?? ''}`;
      if (lastSeenHash !== state) {
        lastSeenHash = state;
        errorReported = true;
        if (!stopped) options.onError(unreadableFileError(absolutePath, error));
      }
      return;
    }
    const hash = hashText(text);
    if (hash === lastSeenHash) return;
    lastSeenHash = hash;
    let workflow: Workflow;
    try {
      workflow = parseWorkflow(text, absolutePath, options);
    } catch (error) {
      errorReported = true;
      if (!stopped) options.onError(asWorkflowError(absolutePath, error));
      return;
    }
    if ((hash === lastGoodHash && !errorReported) || stopped) return;
    lastGoodHash = hash;
    errorReported = false;
    options.onChange(workflow);
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

  // The poll only notices that the file changed and goes through the same debounce as a
  // folder event, so a burst seen by the poll is still one reload, and a half-written file
  // is not read between two writes.
  let lastSignature = fileSignatureNow(absolutePath);
  // The workflow in force may have been read a while ago: an edit made since then fired no
  // event we could hear and left no signature change to poll, so compare once now.
  if (options.initialContentHash !== undefined) schedule();
  const poll = setInterval(() => {
    if (!watcher) startWatcher();
    void fileSignature(absolutePath).then((signature) => {
      if (signature === lastSignature) return;
      lastSignature = signature;
      schedule();
    });
  }, options.pollIntervalMs ?? 1_000);
  poll.unref();

  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    clearInterval(poll);
    watcher?.close();
  };
}
