import { optionalString, stringList } from '@loompa/core/schema';
import { z } from 'zod';

/**
 * Permissions given to OpenCode unless configured: edits and shell commands are allowed;
 * anything OpenCode would ask a person about (such as writing outside the project) is
 * rejected by `opencode run` without waiting, which ends the run as `input-required`.
 */
export const defaultOpenCodePermission: Record<string, unknown> = { edit: 'allow', bash: 'allow' };

/** Settings of `createOpenCodeAgent`. */
export interface OpenCodeAgentSettings {
  /** Path of the `opencode` binary; found on the agent's PATH or in node_modules when unset. */
  binaryPath?: string | null;
  /**
   * OpenCode's `provider` configuration (opencode.json), e.g. an `@ai-sdk/openai-compatible`
   * provider with `options.baseURL`. Keys are read from the agent environment with
   * OpenCode's `{env:NAME}` substitution, so no secret needs to be written here.
   */
  provider?: Record<string, unknown>;
  /** OpenCode's `permission` configuration; `defaultOpenCodePermission` when unset. */
  permission?: Record<string, unknown>;
  /** Any other opencode.json keys, merged under the ones this backend sets. */
  config?: Record<string, unknown>;
  /** `provider/model` used when a run names no model; a bare run model gets this provider. */
  model?: string | null;
  /** More environment variable names to treat as secrets (provider keys). */
  secretEnvironmentVariables?: string[];
}

/** The `opencode:` section of WORKFLOW.md. */
export const openCodeSettingsSchema = z
  .object({
    binary_path: optionalString.describe('Path of the opencode binary; PATH or node_modules when unset.'),
    provider: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('OpenCode provider configuration (opencode.json "provider").'),
    permission: z
      .record(z.string(), z.unknown())
      .nullable()
      .default(null)
      .describe('OpenCode permission configuration; edits and shell commands allowed when unset.'),
    config: z.record(z.string(), z.unknown()).default({}).describe('Other opencode.json keys for every run.'),
    model: optionalString.describe('Default provider/model when a run names none.'),
    secret_environment_variables: stringList
      .default([])
      .describe('More environment variables that hold secrets (provider keys).'),
  })
  .strict();

export type OpenCodeWorkflowSettings = z.output<typeof openCodeSettingsSchema>;

/** Maps the snake_case WORKFLOW.md section onto `createOpenCodeAgent` settings. */
export function openCodeAgentSettingsFromWorkflow(settings: OpenCodeWorkflowSettings): OpenCodeAgentSettings {
  return {
    binaryPath: settings.binary_path,
    provider: settings.provider,
    ...(settings.permission !== null ? { permission: settings.permission } : {}),
    config: settings.config,
    model: settings.model,
    secretEnvironmentVariables: settings.secret_environment_variables,
  };
}
