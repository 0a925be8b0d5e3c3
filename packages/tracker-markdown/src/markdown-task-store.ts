import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type CallOptions, InvalidArgumentError, normalizeName } from '@loompa/core';
import { createFileExclusively, replaceFileChecked, withFileLock } from './atomic-file-writes.js';
import {
  type MarkdownTaskSettings,
  type ResolvedTaskSettings,
  resolveTaskSettings,
} from './markdown-task-settings.js';
import type { NewTask, Task, TaskFileProblem, TaskPatch } from './task.js';
import { TaskDirectoryIndex, type TaskDirectorySnapshot } from './task-directory-index.js';
import { TaskFileError, TaskNotFoundError } from './task-errors.js';
import { editTaskFile, parseTaskFile, readTaskFile, renderNewTaskFile } from './task-file-format.js';
import {
  validateCommentBody,
  validateLabels,
  validatePatch,
  validateStatus,
  validateTaskId,
} from './task-input-validation.js';

/** Options every write accepts. */
export interface TaskWriteOptions extends CallOptions {
  /** Who the activity line names; the store's `actor` by default. */
  actor?: string;
}

/** Filters of `listTasks`; all given filters must match. */
export interface TaskListFilter {
  /** Any of these statuses (trimmed, case-insensitive). */
  status?: string | readonly string[];
  /** Every one of these labels (trimmed, case-insensitive). */
  label?: string | readonly string[];
  /** Case-insensitive text found in the id, title or description. */
  text?: string;
}

/** What a change function returns: fields to set, plus the activity line describing the change. */
export type TaskChange = TaskPatch & { activity?: string };

/** Called after each successful write with the file and a one-line summary (for git commits). */
export type TaskWriteListener = (write: { filePath: string; taskId: string; summary: string }) => void;

/** The programmatic task API that backs the tracker, tools and the `loompa task` CLI. */
export interface MarkdownTaskStore {
  readonly settings: ResolvedTaskSettings;
  /** Absolute folder of the task files. */
  readonly directory: string;
  /** Task files parsed so far; unchanged files are not parsed again. */
  readonly parsedFileCount: number;
  /** Creates a task with the next free id (safe against concurrent creators). */
  createTask(task: NewTask, options?: TaskWriteOptions): Promise<Task>;
  /** Lists tasks sorted by id, with the problems of files that were skipped. */
  listTasks(
    filter?: TaskListFilter,
    options?: CallOptions,
  ): Promise<{ tasks: Task[]; problems: TaskFileProblem[] }>;
  /** One task by id (case-insensitive); `TaskNotFoundError` when there is none. */
  showTask(id: string, options?: CallOptions): Promise<Task>;
  /** Sets the status and records it in the activity section. */
  moveTask(id: string, status: string, options?: TaskWriteOptions): Promise<Task>;
  /**
   * Appends a comment to the activity section. With a `key`, a comment identical to the latest
   * one with the same key is not repeated (lines above are never rewritten, so it cannot be edited).
   */
  commentOnTask(id: string, body: string, options?: TaskWriteOptions & { key?: string }): Promise<Task>;
  /** Adds and removes labels (normalized trimmed and lowercased). */
  updateLabels(
    id: string,
    change: { add?: readonly string[]; remove?: readonly string[] },
    options?: TaskWriteOptions,
  ): Promise<Task>;
  /**
   * Changes a task with a function of its current content. The function may run more than once:
   * when another writer changes the file between the read and the write, it runs again on the
   * fresh file. Return null for "no change".
   */
  updateTask(
    id: string,
    change: (task: Task) => TaskChange | null | Promise<TaskChange | null>,
    options?: TaskWriteOptions,
  ): Promise<Task>;
  /** Scans the directory (incrementally) and returns every task and problem. */
  snapshot(options?: CallOptions): Promise<TaskDirectorySnapshot>;
}

const maxIdAttempts = 1_000;

/** The file renamed or deleted, or now holding another task, between the lookup and the write. */
class TaskFileMoved extends Error {}

/**
 * Creates the task store for a directory of task files. `onWrite` hears of each write (the
 * tracker uses it to batch git commits).
 */
export function createMarkdownTaskStore(
  settings: MarkdownTaskSettings,
  onWrite?: TaskWriteListener,
): MarkdownTaskStore {
  const resolved = resolveTaskSettings(settings);
  const defaultStatus = resolved.activeStates[0]!;
  const index = new TaskDirectoryIndex(resolved.directory, defaultStatus, resolved.onProblem);
  // Writes to one task run one after another inside this process; other processes are
  // handled by the conflict check of `replaceFileChecked`.
  const queues = new Map<string, Promise<unknown>>();

  const serialize = <Result>(key: string, work: () => Promise<Result>): Promise<Result> => {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => {});
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return next;
  };

  const snapshot = async (options: CallOptions = {}) => {
    options.abortSignal?.throwIfAborted();
    return index.scan();
  };

  const findTask = (current: TaskDirectorySnapshot, id: string): Task => {
    const task = current.tasks.get(id.toLowerCase());
    if (task) return task;
    const broken = current.problems.find(
      (problem) => path.basename(problem.filePath).toLowerCase() === `${id.toLowerCase()}.md`,
    );
    if (broken) throw new TaskFileError(broken.filePath, broken.line, broken.message);
    throw new TaskNotFoundError(id, resolved.directory);
  };

  const resolverFor = (current: TaskDirectorySnapshot) => (id: string) =>
    current.tasks.get(id.toLowerCase())?.id ?? null;

  const updateTask: MarkdownTaskStore['updateTask'] = (rawId, change, options = {}) => {
    const id = validateTaskId(rawId);
    if (typeof change !== 'function') throw new InvalidArgumentError('updateTask needs a change function');
    const actor = options.actor?.trim() || resolved.actor;
    return serialize(id.toLowerCase(), async () => {
      // A person may rename or delete the file while we work: look it up afresh once.
      for (let lookup = 1; ; lookup++) {
        const current = await snapshot(options);
        const found = findTask(current, id);
        let summary = '';
        let lastRead = '';
        try {
          const written = await withFileLock(found.filePath, () =>
            replaceFileChecked(found.filePath, async (text) => {
              options.abortSignal?.throwIfAborted();
              lastRead = text;
              const parsed = readTaskFile(text, found.filePath, defaultStatus);
              if ('problem' in parsed) {
                throw new TaskFileError(parsed.problem.filePath, parsed.problem.line, parsed.problem.message);
              }
              if (parsed.task.id.toLowerCase() !== id.toLowerCase()) {
                throw new TaskFileMoved();
              }
              const requested = await change(parsed.task);
              if (requested === null) return null;
              const { activity, ...patch } = requested;
              const valid = validatePatch(patch, resolved, resolverFor(current), parsed.task.id);
              summary = activity?.trim() || 'updated';
              const event = activity?.trim() ? { time: new Date(), actor, text: activity } : null;
              return editTaskFile(text, valid, event);
            }),
          );
          if (written === null) return parseTaskFile(lastRead, found.filePath, defaultStatus);
          const task = parseTaskFile(written, found.filePath, defaultStatus);
          onWrite?.({ filePath: found.filePath, taskId: task.id, summary: `${task.id} ${summary}` });
          return task;
        } catch (error) {
          const moved = error instanceof TaskFileMoved || (error as NodeJS.ErrnoException).code === 'ENOENT';
          if (!moved) throw error;
          if (lookup < 2) continue;
          throw new TaskNotFoundError(id, resolved.directory);
        }
      }
    });
  };

  return {
    settings: resolved,
    directory: resolved.directory,
    get parsedFileCount() {
      return index.parsedFileCount;
    },
    snapshot,

    async createTask(fields, options = {}) {
      options.abortSignal?.throwIfAborted();
      if (typeof fields !== 'object' || fields === null) {
        throw new InvalidArgumentError('createTask needs the new task’s fields');
      }
      if (fields.title === undefined) throw new InvalidArgumentError('title must not be empty');
      const current = await snapshot(options);
      const patch = validatePatch(
        {
          title: fields.title,
          status: fields.status ?? defaultStatus,
          priority: fields.priority ?? null,
          type: fields.type ?? null,
          labels: fields.labels ?? [],
          assignee: fields.assignee ?? null,
          blockedBy: fields.blockedBy ?? [],
        },
        resolved,
        resolverFor(current),
        null,
      );
      if (
        fields.description !== undefined &&
        fields.description !== null &&
        typeof fields.description !== 'string'
      ) {
        throw new InvalidArgumentError('description must be a string');
      }
      const actor = options.actor?.trim() || resolved.actor;
      await mkdir(resolved.directory, { recursive: true });

      const idPattern = new RegExp(`^${resolved.idPrefix}-(\\d+)$`, 'i');
      const used = [...current.fileNames.map((name) => name.slice(0, -'.md'.length)), ...current.tasks.keys()]
        .map((name) => idPattern.exec(name)?.[1])
        .filter((number) => number !== undefined)
        .map(Number);
      let number = Math.max(0, ...used) + 1;
      for (let attempt = 0; attempt < maxIdAttempts; attempt++, number++) {
        const id = `${resolved.idPrefix}-${number}`;
        const filePath = path.join(resolved.directory, `${id}.md`);
        const text = renderNewTaskFile(
          {
            id,
            title: patch.title!,
            status: patch.status!,
            priority: patch.priority ?? null,
            type: patch.type ?? null,
            labels: patch.labels ?? [],
            assignee: patch.assignee ?? null,
            blockedBy: patch.blockedBy ?? [],
            description: fields.description ?? null,
          },
          { time: new Date(), actor, text: 'created' },
        );
        // Another creator took this number first: the next one is free for us.
        if (!(await createFileExclusively(filePath, text))) continue;
        onWrite?.({ filePath, taskId: id, summary: `${id} created` });
        return parseTaskFile(text, filePath, defaultStatus);
      }
      throw new InvalidArgumentError(`could not find a free task id after ${maxIdAttempts} attempts`);
    },

    async listTasks(filter = {}, options = {}) {
      const statuses =
        filter.status === undefined
          ? null
          : new Set([filter.status].flat().map((status) => normalizeName(status)));
      const labels = filter.label === undefined ? [] : validateLabels([filter.label].flat(), 'label');
      const text = filter.text?.trim().toLowerCase() ?? '';
      const current = await snapshot(options);
      const tasks = [...current.tasks.values()]
        .filter((task) => statuses === null || statuses.has(normalizeName(task.status)))
        .filter((task) => {
          const taskLabels = task.labels.map(normalizeName);
          return labels.every((label) => taskLabels.includes(label));
        })
        .filter(
          (task) =>
            text === '' ||
            [task.id, task.title, task.description ?? ''].some((field) => field.toLowerCase().includes(text)),
        )
        .sort(compareTasks);
      return { tasks, problems: current.problems };
    },

    async showTask(id, options = {}) {
      return findTask(await snapshot(options), validateTaskId(id));
    },

    moveTask(id, status, options = {}) {
      const normalized = validateStatus(status, resolved);
      return updateTask(
        id,
        (task) =>
          normalizeName(task.status) === normalized
            ? null
            : { status: normalized, activity: `moved from ${task.status} to ${normalized}` },
        options,
      );
    },

    commentOnTask(id, body, options = {}) {
      const text = validateCommentBody(body);
      const key = options.key?.trim();
      const activity = key ? `commented [${key}]: ${text}` : `commented: ${text}`;
      return updateTask(
        id,
        (task) => {
          if (key) {
            const prefix = `commented [${key}]: `;
            const latest = task.activity.findLast((entry) => entry.text.startsWith(prefix));
            if (latest?.text === activity.replace(/\s*\r?\n\s*/g, ' ')) return null;
          }
          return { activity };
        },
        options,
      );
    },

    updateLabels(id, change, options = {}) {
      const add = validateLabels(change?.add ?? [], 'add');
      const remove = new Set(validateLabels(change?.remove ?? [], 'remove'));
      return updateTask(
        id,
        (task) => {
          const before = task.labels.map(normalizeName);
          const after = [...new Set([...before.filter((label) => !remove.has(label)), ...add])];
          const added = after.filter((label) => !before.includes(label));
          const removed = before.filter((label) => !after.includes(label));
          if (added.length === 0 && removed.length === 0) return null;
          const parts = [
            added.length > 0 ? `added label${added.length > 1 ? 's' : ''} ${added.join(', ')}` : '',
            removed.length > 0 ? `removed label${removed.length > 1 ? 's' : ''} ${removed.join(', ')}` : '',
          ].filter((part) => part !== '');
          return { labels: after, activity: parts.join('; ') };
        },
        options,
      );
    },

    updateTask,
  };
}

/** Sorts `TASK-2` before `TASK-10`. */
function compareTasks(left: Task, right: Task): number {
  return left.id.localeCompare(right.id, 'en', { numeric: true, sensitivity: 'base' });
}
