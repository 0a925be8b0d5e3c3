import { nonNegativeInteger, optionalString, stringList } from '@loompa/core/schema';
import { z } from 'zod';

/**
 * Permission modes that never wait for a person. `acceptEdits` (the default) lets the agent
 * edit files and run shell commands inside its working directory and denies anything else
 * without asking; `bypassPermissions` allows everything (as root Claude Code also needs
 * `IS_SANDBOX=1` in the agent environment); `default` denies edits and commands; `plan`
 * only plans. None of them is a sandbox.
 */
export const claudePermissionModes = ['acceptEdits', 'bypassPermissions', 'default', 'plan'] as const;
export type ClaudePermissionMode = (typeof claudePermissionModes)[number];

/** Settings of `createClaudeAgent`. */
export interface ClaudeAgentSettings {
  /** Path of the `claude` binary; found on the agent's PATH or in node_modules when unset. */
  binaryPath?: string | null;
  permissionMode?: ClaudePermissionMode;
  /** Tools the agent may use without asking (`--allowedTools`). */
  allowedTools?: string[];
  /** Tools removed from the agent (`--disallowedTools`). */
  disallowedTools?: string[];
  /**
   * Retries of a failed model request (`CLAUDE_CODE_MAX_RETRIES`) unless the run's environment
   * sets it. Claude Code's own default (10, about three minutes) applies when unset.
   */
  maxRetries?: number | null;
  /** Arguments added to every invocation, before the prompt options. */
  extraArguments?: string[];
}

/** The `claude:` section of WORKFLOW.md. */
export const claudeSettingsSchema = z
  .object({
    binary_path: optionalString.describe('Path of the claude binary; PATH or node_modules when unset.'),
    permission_mode: z
      .enum(claudePermissionModes)
      .default('acceptEdits')
      .describe('Permission mode; never one that waits for a person.'),
    allowed_tools: stringList.default([]).describe('Tools allowed without asking (--allowedTools).'),
    disallowed_tools: stringList.default([]).describe('Tools removed from the agent (--disallowedTools).'),
    max_retries: nonNegativeInteger
      .nullable()
      .default(null)
      .describe('Model request retries (CLAUDE_CODE_MAX_RETRIES) unless the environment sets it.'),
    extra_arguments: stringList.default([]).describe('Arguments added to every claude invocation.'),
  })
  .strict();

export type ClaudeWorkflowSettings = z.output<typeof claudeSettingsSchema>;

/** Maps the snake_case WORKFLOW.md section onto `createClaudeAgent` settings. */
export function claudeAgentSettingsFromWorkflow(settings: ClaudeWorkflowSettings): ClaudeAgentSettings {
  return {
    binaryPath: settings.binary_path,
    permissionMode: settings.permission_mode,
    allowedTools: settings.allowed_tools,
    disallowedTools: settings.disallowed_tools,
    maxRetries: settings.max_retries,
    extraArguments: settings.extra_arguments,
  };
}
