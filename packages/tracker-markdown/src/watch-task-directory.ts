import { type FSWatcher, mkdirSync, watch } from 'node:fs';
import type { TrackerChange } from '@loompa/core';
import { idFromFileName, isTaskFileName } from './task-directory-index.js';

export interface WatchTaskDirectoryOptions {
  directory: string;
  abortSignal: AbortSignal;
  onChange: (change: TrackerChange) => void;
  onError?: (error: unknown) => void;
  /** Quiet time after the last event before reporting, so an editor's save burst is one change. */
  debounceMs: number;
  /** Delay before watching again after the watcher failed (for example the folder was removed). */
  restartDelayMs?: number;
}

/**
 * Watches the task folder (not single files: editors that save by renaming a temporary file
 * replace the inode a file watch is bound to) and reports created, edited, renamed and deleted
 * task files. Hidden files (our own temporary files) are ignored; their final rename is not.
 */
export function watchTaskDirectory(options: WatchTaskDirectoryOptions): void {
  const { abortSignal } = options;
  if (abortSignal.aborted) return;
  let watcher: FSWatcher | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let restart: NodeJS.Timeout | null = null;
  let changedIds = new Set<string>();
  let unknownChange = false;

  const report = () => {
    debounce = null;
    if (abortSignal.aborted) return;
    const change: TrackerChange = unknownChange ? {} : { issueIds: [...changedIds].sort() };
    changedIds = new Set();
    unknownChange = false;
    options.onChange(change);
  };

  const noteEvent = (fileName: string | null) => {
    if (abortSignal.aborted) return;
    if (fileName === null) unknownChange = true;
    else if (isTaskFileName(fileName)) changedIds.add(idFromFileName(fileName));
    else return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(report, options.debounceMs);
  };

  const fail = (error: unknown) => {
    watcher?.close();
    watcher = null;
    if (abortSignal.aborted) return;
    options.onError?.(error);
    restart = setTimeout(start, options.restartDelayMs ?? 1_000);
  };

  const start = () => {
    restart = null;
    if (abortSignal.aborted) return;
    // The folder may not exist yet (no task created so far): create it so there is something
    // to watch. Synchronous, so the watch is in place when `watch()` returns.
    try {
      mkdirSync(options.directory, { recursive: true });
      watcher = watch(options.directory, { persistent: false }, (_event, fileName) =>
        noteEvent(fileName === null ? null : String(fileName)),
      );
      watcher.on('error', fail);
    } catch (error) {
      fail(error);
    }
  };

  abortSignal.addEventListener(
    'abort',
    () => {
      watcher?.close();
      watcher = null;
      if (debounce) clearTimeout(debounce);
      if (restart) clearTimeout(restart);
    },
    { once: true },
  );
  start();
}
