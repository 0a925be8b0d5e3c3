import { LoompaError, type LoompaErrorOptions } from '@loompa/core';

/** No task file holds this id. */
export class TaskNotFoundError extends LoompaError {
  constructor(
    readonly taskId: string,
    readonly directory: string,
  ) {
    super('task_not_found', `No task "${taskId}" in ${directory}`, { details: { taskId, directory } });
  }
}

/** A task file cannot be read as a task (bad YAML, missing id or title, duplicate id). */
export class TaskFileError extends LoompaError {
  constructor(
    readonly filePath: string,
    readonly line: number | null,
    problem: string,
    options: LoompaErrorOptions = {},
  ) {
    super('task_file_invalid', `${line === null ? filePath : `${filePath}:${line}`}: ${problem}`, {
      ...options,
      details: { filePath, line, ...options.details },
    });
  }
}

/** Another writer kept changing a task file while the tracker tried to update it. */
export class TaskWriteConflictError extends LoompaError {
  constructor(
    readonly filePath: string,
    attempts: number,
  ) {
    super(
      'task_write_conflict',
      `${filePath} changed on disk during each of ${attempts} attempts to update it; nothing was written`,
      { details: { filePath, attempts } },
    );
  }
}

/** Committing or pushing task files failed; the files themselves are written. */
export class TaskCommitError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('task_commit_failed', message, options);
  }
}
