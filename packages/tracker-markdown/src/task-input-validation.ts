import { InvalidArgumentError, normalizeName } from '@loompa/core';
import type { ResolvedTaskSettings } from './markdown-task-settings.js';
import type { TaskPatch } from './task.js';

/**
 * Checks what callers (the orchestrator, tools, the `loompa task` CLI) ask to write, so a bad
 * argument is refused with a message naming the field before any file is touched.
 */

function singleLine(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${field} must be a string`);
  const trimmed = value.trim();
  if (trimmed === '') throw new InvalidArgumentError(`${field} must not be empty`);
  if (/[\r\n]/.test(trimmed)) throw new InvalidArgumentError(`${field} must be a single line`);
  return trimmed;
}

function optionalSingleLine(value: unknown, field: string): string | null {
  return value === null ? null : singleLine(value, field);
}

/** A status the workflow knows, normalized; unknown ones are refused with the list of known ones. */
export function validateStatus(status: unknown, settings: ResolvedTaskSettings): string {
  const normalized = normalizeName(singleLine(status, 'status'));
  if (!settings.knownStates.includes(normalized)) {
    throw new InvalidArgumentError(
      `Unknown status "${String(status).trim()}"; known statuses: ${settings.knownStates.join(', ')}`,
      { details: { status, knownStates: settings.knownStates } },
    );
  }
  return normalized;
}

export function validatePriority(priority: unknown): number | null {
  if (priority === null) return null;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1 || priority > 4) {
    throw new InvalidArgumentError(
      `priority must be 1 (urgent), 2 (high), 3 (normal) or 4 (low), got ${JSON.stringify(priority)}`,
    );
  }
  return priority;
}

/** Labels trimmed, lowercased and without duplicates. */
export function validateLabels(labels: unknown, field = 'labels'): string[] {
  if (!Array.isArray(labels)) throw new InvalidArgumentError(`${field} must be a list of strings`);
  const normalized = labels.map((label, index) => {
    const text = normalizeName(singleLine(label, `${field}[${index}]`));
    if (text.includes(',')) throw new InvalidArgumentError(`${field}[${index}] must not contain a comma`);
    return text;
  });
  return [...new Set(normalized)];
}

/** A task id in this directory's form, e.g. `TASK-3` (any case); returned as given, trimmed. */
export function validateTaskId(id: unknown, field = 'id'): string {
  const text = singleLine(id, field);
  if (!/^[^\s/\\]+$/.test(text) || text.startsWith('.')) {
    throw new InvalidArgumentError(`${field} "${text}" is not a task id (like TASK-3)`);
  }
  return text;
}

/**
 * Validates a patch. `resolveBlocker` returns the canonical id of an existing task, or null;
 * blockers must exist and must not be the task itself.
 */
export function validatePatch(
  patch: TaskPatch,
  settings: ResolvedTaskSettings,
  resolveBlocker: (id: string) => string | null,
  selfId: string | null,
): TaskPatch {
  if (typeof patch !== 'object' || patch === null)
    throw new InvalidArgumentError('the change must be an object');
  const valid: TaskPatch = {};
  if (patch.title !== undefined) valid.title = singleLine(patch.title, 'title');
  if (patch.status !== undefined) valid.status = validateStatus(patch.status, settings);
  if (patch.priority !== undefined) valid.priority = validatePriority(patch.priority);
  if (patch.type !== undefined) {
    valid.type = patch.type === null ? null : normalizeName(singleLine(patch.type, 'type'));
  }
  if (patch.assignee !== undefined) valid.assignee = optionalSingleLine(patch.assignee, 'assignee');
  if (patch.labels !== undefined) valid.labels = validateLabels(patch.labels);
  if (patch.blockedBy !== undefined) {
    if (!Array.isArray(patch.blockedBy))
      throw new InvalidArgumentError('blockedBy must be a list of task ids');
    const blockers = patch.blockedBy.map((blocker, index) => {
      const id = validateTaskId(blocker, `blockedBy[${index}]`);
      const canonical = resolveBlocker(id);
      if (canonical === null) throw new InvalidArgumentError(`blockedBy[${index}]: there is no task "${id}"`);
      if (selfId !== null && canonical.toLowerCase() === selfId.toLowerCase()) {
        throw new InvalidArgumentError(`blockedBy[${index}]: a task cannot block itself`);
      }
      return canonical;
    });
    valid.blockedBy = [...new Set(blockers)];
  }
  return valid;
}

/** A comment body; newlines are allowed (they are folded into the one activity line). */
export function validateCommentBody(body: unknown): string {
  if (typeof body !== 'string' || body.trim() === '') {
    throw new InvalidArgumentError('a comment needs a non-empty body');
  }
  return body.trim();
}
