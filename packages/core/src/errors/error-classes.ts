import { LoompaError, type LoompaErrorOptions } from './loompa-error.js';

/** One thing wrong with a WORKFLOW.md, located as precisely as the parser allows. */
export interface WorkflowProblem {
  /** Dotted YAML path such as `agent.max_concurrent_agents`; empty for the whole file. */
  yamlPath: string;
  /** 1-based line in the WORKFLOW.md file, when known. */
  line: number | null;
  /** 1-based column, when known. */
  column: number | null;
  /** What was expected, e.g. "a positive integer". */
  expected: string | null;
  /** What was found, e.g. `-5`. */
  found: string | null;
  /** The complete sentence about this problem. */
  message: string;
}

/** Renders a problem as `file:line:column: path: message`. */
export function formatWorkflowProblem(file: string, problem: WorkflowProblem): string {
  const location = [file, problem.line, problem.column].filter((part) => part !== null).join(':');
  const path = problem.yamlPath ? `${problem.yamlPath}: ` : '';
  return `${location}: ${path}${problem.message}`;
}

/** WORKFLOW.md is missing, unreadable or invalid. Carries every problem found. */
export class WorkflowError extends LoompaError {
  readonly file: string;
  readonly problems: WorkflowProblem[];

  constructor(file: string, problems: WorkflowProblem[], options: LoompaErrorOptions = {}) {
    const lines = problems.map((problem) => formatWorkflowProblem(file, problem));
    const heading =
      problems.length === 1 ? 'Invalid workflow' : `Invalid workflow (${problems.length} problems)`;
    super('workflow_invalid', `${heading}: ${lines.join('\n')}`, {
      ...options,
      details: { file, problems, ...options.details },
    });
    this.file = file;
    this.problems = problems;
  }
}

/** The workflow names a `kind` for which no plugin was registered. */
export class UnknownPluginKindError extends LoompaError {
  constructor(
    readonly slot: string,
    readonly kind: string,
    readonly knownKinds: readonly string[],
  ) {
    const known = knownKinds.length > 0 ? knownKinds.join(', ') : 'none registered';
    super('plugin_unknown_kind', `Unknown ${slot} kind "${kind}"; registered kinds: ${known}`, {
      details: { slot, kind, knownKinds },
    });
  }
}

/** A plugin does not implement the slot version it was registered for. */
export class PluginSpecificationError extends LoompaError {
  constructor(slot: string, kind: string, expected: string, found: unknown) {
    super(
      'plugin_specification_mismatch',
      `The ${slot} plugin registered as "${kind}" implements "${String(found)}", expected "${expected}"`,
      { details: { slot, kind, expected, found } },
    );
  }
}

/** A prompt template failed to render (unknown variable or filter, bad syntax). */
export class PromptRenderError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('prompt_render_failed', message, options);
  }
}

/** A workspace path or git worktree could not be prepared safely. */
export class WorkspaceError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('workspace_failed', message, options);
  }
}

/** A workspace hook failed or timed out. */
export class HookError extends LoompaError {
  constructor(
    readonly hook: string,
    message: string,
    options: LoompaErrorOptions = {},
  ) {
    super('hook_failed', message, { ...options, details: { hook, ...options.details } });
  }
}

/** A tracker call failed. */
export class TrackerError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('tracker_failed', message, options);
  }
}

/** An SCM provider call failed. */
export class ScmError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('scm_failed', message, options);
  }
}

/** An agent backend could not start or drive its agent (missing binary, bad settings). */
export class AgentBackendError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('agent_backend_failed', message, options);
  }
}

/** Input given to an API is invalid (not a workflow file problem). */
export class InvalidArgumentError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('invalid_argument', message, options);
  }
}

/** A capability was called on a plugin or mock that does not provide it. */
export class NotImplementedError extends LoompaError {
  constructor(message: string, options: LoompaErrorOptions = {}) {
    super('not_implemented', message, options);
  }
}

/**
 * A control action (pause, retry, cancel, approve) could not be carried out: `reason` says
 * whether the issue is unknown, in the wrong phase, or the plugin cannot do it.
 */
export class ControlError extends LoompaError {
  readonly reason: 'not_found' | 'conflict' | 'not_supported';
  constructor(
    message: string,
    reason: 'not_found' | 'conflict' | 'not_supported',
    options: LoompaErrorOptions = {},
  ) {
    super('control_refused', message, { ...options, details: { reason, ...options.details } });
    this.reason = reason;
  }
}

/**
 * A store write was refused because the writer no longer leads: another orchestrator acquired
 * the leader lease (a newer fencing token) or this one's lease ran out. The writer steps down.
 */
export class FencedOutError extends LoompaError {
  constructor(
    message: string,
    options: LoompaErrorOptions & { details?: { token: number | null; currentToken?: number | null } } = {},
  ) {
    super('fenced_out', message, options);
  }
}
