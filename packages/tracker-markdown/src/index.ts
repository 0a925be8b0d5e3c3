/**
 * @loompa/tracker-markdown: the embedded default tracker. Tasks are markdown files in the
 * repository (`.loompa/tasks/TASK-3.md`), so a team needs no service and task history is in git.
 * This file is the package's public face.
 */

export type { MarkdownTaskSettings, ResolvedTaskSettings } from './markdown-task-settings.js';
export {
  createMarkdownTaskStore,
  type MarkdownTaskStore,
  type TaskChange,
  type TaskListFilter,
  type TaskWriteListener,
  type TaskWriteOptions,
} from './markdown-task-store.js';
export {
  createMarkdownTracker,
  type MarkdownTracker,
  type MarkdownTrackerSettings,
  taskToIssue,
} from './markdown-tracker.js';
export { markdownTracker } from './markdown-tracker-plugin.js';
export { type MarkdownTrackerSection, markdownTrackerSettingsSchema } from './markdown-tracker-schema.js';
export type { ActivityEntry, NewTask, Task, TaskFileProblem, TaskPatch } from './task.js';
export type { TaskDirectorySnapshot } from './task-directory-index.js';
export { TaskCommitError, TaskFileError, TaskNotFoundError, TaskWriteConflictError } from './task-errors.js';
export { formatActivityLine, parseActivityLine, parseTaskFile } from './task-file-format.js';
