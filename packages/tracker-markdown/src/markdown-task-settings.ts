import path from 'node:path';
import { InvalidArgumentError, type Logger, normalizeName } from '@loompa/core/schema';
import type { TaskFileProblem } from './task.js';

/** Settings of the programmatic task API (`createMarkdownTaskStore`). */
export interface MarkdownTaskSettings {
  /** The source checkout. Tasks are always read from here, never from an agent's worktree. */
  repositoryPath: string;
  /** Folder of the task files, relative to `repositoryPath` unless absolute. Default `.loompa/tasks`. */
  directory?: string;
  /** IDs are `<idPrefix>-<n>`. Default `TASK`. */
  idPrefix?: string;
  /** Default `todo`, `in progress`. A new task starts in the first one. */
  activeStates?: readonly string[];
  /** Default `done`, `cancelled`. */
  terminalStates?: readonly string[];
  /** Further states tasks may be moved to (for example `review`). */
  extraStates?: readonly string[];
  /** Who the activity lines name when a call does not say. Default `loompa`. */
  actor?: string;
  /** Called once for each malformed task file version (bad YAML, missing id or title, duplicate id). */
  onProblem?: (problem: TaskFileProblem) => void;
  /** Problems are also logged here as warnings. */
  logger?: Logger;
}

/** Settings after defaults and validation; states are normalized. */
export interface ResolvedTaskSettings {
  repositoryPath: string;
  directory: string;
  idPrefix: string;
  activeStates: string[];
  terminalStates: string[];
  /** Every state a task may be moved to. */
  knownStates: string[];
  actor: string;
  onProblem: (problem: TaskFileProblem) => void;
}

export const defaultTaskDirectory = '.loompa/tasks';
export const defaultIdPrefix = 'TASK';
export const defaultActiveStates = ['todo', 'in progress'];
export const defaultTerminalStates = ['done', 'cancelled'];
export const idPrefixPattern = /^[A-Za-z][A-Za-z0-9_]*$/;

function stateList(value: readonly string[] | undefined, fallback: string[], setting: string): string[] {
  const states = (value ?? fallback).map(normalizeName).filter((state) => state !== '');
  if (states.length === 0) throw new InvalidArgumentError(`${setting} must name at least one state`);
  return [...new Set(states)];
}

/** Applies defaults and checks the settings, throwing `InvalidArgumentError` naming the setting. */
export function resolveTaskSettings(settings: MarkdownTaskSettings): ResolvedTaskSettings {
  if (typeof settings.repositoryPath !== 'string' || settings.repositoryPath.trim() === '') {
    throw new InvalidArgumentError('repositoryPath must be the path of the source checkout');
  }
  const idPrefix = settings.idPrefix ?? defaultIdPrefix;
  if (!idPrefixPattern.test(idPrefix)) {
    throw new InvalidArgumentError(
      `idPrefix "${idPrefix}" must start with a letter and hold only letters, digits and underscores`,
    );
  }
  const repositoryPath = path.resolve(settings.repositoryPath);
  const activeStates = stateList(settings.activeStates, defaultActiveStates, 'activeStates');
  const terminalStates = stateList(settings.terminalStates, defaultTerminalStates, 'terminalStates');
  const extraStates = (settings.extraStates ?? []).map(normalizeName).filter((state) => state !== '');
  const overlap = activeStates.filter((state) => terminalStates.includes(state));
  if (overlap.length > 0) {
    throw new InvalidArgumentError(`states cannot be both active and terminal: ${overlap.join(', ')}`);
  }
  const logger = settings.logger;
  const onProblem = settings.onProblem;
  return {
    repositoryPath,
    directory: path.resolve(repositoryPath, settings.directory ?? defaultTaskDirectory),
    idPrefix,
    activeStates,
    terminalStates,
    knownStates: [...new Set([...activeStates, ...terminalStates, ...extraStates])],
    actor: settings.actor?.trim() || 'loompa',
    onProblem: (problem) => {
      logger?.warn('Skipping a malformed task file', { ...problem });
      onProblem?.(problem);
    },
  };
}
