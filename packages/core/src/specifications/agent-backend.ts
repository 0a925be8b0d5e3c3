import type { CallOptions, TokenUsage } from './common.js';

/** Why an agent run failed, classified so the orchestrator can decide what to do next. */
export type AgentErrorKind =
  | 'auth'
  | 'rate-limit'
  | 'context-overflow'
  | 'max-turns'
  | 'input-required'
  | 'timeout'
  | 'cancelled'
  | 'process'
  | 'unknown';

export interface AgentRunError {
  kind: AgentErrorKind;
  /** A sentence a person can act on; never contains credentials. */
  message: string;
  /** For `rate-limit`: how long the provider asked to wait, when it said. */
  retryAfterMs?: number;
}

/** One observation from a running agent. The `raw` variant keeps what could not be parsed. */
export type AgentEvent =
  | { type: 'session-start'; sessionId: string; model: string | null }
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; output: string; isError: boolean }
  /** Cumulative usage and cost of this run so far. */
  | { type: 'usage'; usage: TokenUsage; costUsd: number | null }
  | { type: 'error'; error: AgentRunError }
  | { type: 'raw'; line: string };

export type AgentRunStatus = 'completed' | 'failed' | 'cancelled' | 'timed-out';

export interface AgentRunResult {
  status: AgentRunStatus;
  /** The session to pass to `resume` to continue this conversation; null when none started. */
  sessionId: string | null;
  /** Tokens this run used, summed over all of its turns. */
  usage: TokenUsage;
  /**
   * What this run cost in USD as the agent reported it (for a resumed session, only this
   * run's share); null when the agent reported no cost.
   */
  costUsd: number | null;
  /** Model turns taken by this run. */
  turns: number;
  /** The agent's last text answer, if any. */
  finalText: string | null;
  /** Present whenever `status` is not `completed`. */
  error?: AgentRunError;
}

export interface AgentRunLimits {
  /** Stop after this many model turns (the agent's own turn limit). */
  maxTurns?: number;
  /** No output for this long → the run is stopped with status `timed-out`. */
  idleTimeoutMs?: number;
  /** The whole run may take at most this long → `timed-out`. */
  runTimeoutMs?: number;
}

export interface AgentRunOptions extends CallOptions {
  prompt: string;
  /** The working directory (the worktree). */
  cwd: string;
  model?: string;
  /** Extra instructions appended to the agent's system prompt (the focus's instructions). */
  instructions?: string;
  /**
   * The complete environment of the agent process. Core has already removed forge and
   * tracker credentials; backends add nothing from `process.env` on their own.
   */
  env: Record<string, string>;
  /**
   * A directory that belongs to this work item for its whole life, for the agent's home,
   * configuration and session files, so parallel runs never share state and resume works.
   */
  stateDirectory?: string;
  limits?: AgentRunLimits;
  onEvent?: (event: AgentEvent) => void;
}

/**
 * Version 1 of the agent backend slot: runs a coding agent headless in a directory.
 * `run` starts a fresh session; `resume`, when present, continues one with its history.
 * Without `resume`, core starts a fresh session and puts the needed context in the prompt.
 */
export interface AgentBackendV1 {
  readonly specificationVersion: 'agent-backend-v1';
  readonly name: string;
  /** Environment variable names this backend treats as secrets (redacted, never logged). */
  readonly secretEnvironmentVariables?: readonly string[];
  /**
   * Names (a trailing `*` matches a prefix) of the orchestrator's environment this backend
   * needs, such as its model's base URL and settings. Core's environment policy passes only
   * these, the secret names above and a short allowlist (PATH, HOME, locale…) to the agent.
   */
  readonly environmentVariables?: readonly string[];

  run(options: AgentRunOptions): Promise<AgentRunResult>;

  resume?(options: AgentRunOptions & { sessionId: string }): Promise<AgentRunResult>;
}
