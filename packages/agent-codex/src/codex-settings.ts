import { nonNegativeInteger, nonNegativeNumber, optionalString, stringList } from '@loompa/core/schema';
import { z } from 'zod';

/**
 * Where Codex may write. `workspace-write` (the default) lets the agent edit the worktree and
 * run commands in a sandbox without network; `read-only` lets it only read; `none` runs with
 * `--dangerously-bypass-approvals-and-sandbox`, for hosts that are sandboxes themselves or
 * tasks that need the network. Codex never asks a person in any of them.
 */
export const codexSandboxModes = ['workspace-write', 'read-only', 'none'] as const;
export type CodexSandboxMode = (typeof codexSandboxModes)[number];

/** The Responses API is the only wire protocol Codex 0.171 accepts (`chat` is refused). */
export const codexWireApis = ['responses'] as const;

/**
 * A model provider for Codex (`[model_providers.<id>]` in its config). The key is read by
 * Codex from the environment variable `envKey`, so no secret is written to disk or argv.
 */
export interface CodexProviderSettings {
  /** The provider's id in Codex's configuration; `loompa` when unset. */
  id?: string;
  /** Base URL of a Responses API, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** The environment variable holding the API key; without one Codex sends no Authorization. */
  envKey?: string | null;
  wireApi?: (typeof codexWireApis)[number];
}

/** USD per million tokens; cache prices default to the input price. */
export interface CodexModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** Settings of `createCodexAgent`. */
export interface CodexAgentSettings {
  /** Path of the `codex` binary; found on the agent's PATH or in node_modules when unset. */
  binaryPath?: string | null;
  /** The model when a run names none; Codex's own default when unset. */
  model?: string | null;
  /** A custom provider; Codex's built-in OpenAI provider (`OPENAI_API_KEY`) when unset. */
  provider?: CodexProviderSettings | null;
  sandbox?: CodexSandboxMode;
  /**
   * Retries of a failed model request and of a broken stream, each (`request_max_retries`,
   * `stream_max_retries` of a custom provider). Codex's defaults turn one dead server into
   * thirty requests; the orchestrator retries runs itself, so a few are enough.
   */
  maxRetries?: number;
  /**
   * Prices by model, for a cost Codex does not report. Without a price for the run's model
   * the result's `costUsd` is null and a budget prices the usage from its own table.
   */
  prices?: Record<string, CodexModelPrice>;
  /** More environment variable names to treat as secrets. */
  secretEnvironmentVariables?: string[];
  /** Arguments added to every `codex exec` invocation (e.g. `-c key=value`), before the prompt. */
  extraArguments?: string[];
}

export const defaultCodexMaxRetries = 2;

const priceSchema = z
  .object({
    input: nonNegativeNumber.describe('USD per million input tokens.'),
    output: nonNegativeNumber.describe('USD per million output tokens.'),
    cache_read: nonNegativeNumber
      .optional()
      .describe('USD per million cached input tokens; input price when unset.'),
    cache_write: nonNegativeNumber
      .optional()
      .describe('USD per million cache-write tokens; input price when unset.'),
  })
  .strict();

const providerSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, { error: 'letters, digits, - and _ only' })
      .default('loompa')
      .describe('The provider id in Codex configuration.'),
    base_url: z.string().url().describe('Base URL of the Responses API, e.g. https://api.openai.com/v1.'),
    env_key: optionalString.describe('Environment variable holding the API key.'),
    wire_api: z
      .enum(codexWireApis)
      .default('responses')
      .describe('Wire protocol; Codex supports responses only.'),
  })
  .strict();

/** The `codex:` section of WORKFLOW.md. */
export const codexSettingsSchema = z
  .object({
    binary_path: optionalString.describe('Path of the codex binary; PATH or node_modules when unset.'),
    model: optionalString.describe('Model when the profile names none; Codex default when unset.'),
    provider: providerSchema.nullable().default(null).describe('A custom Responses API provider.'),
    sandbox: z
      .enum(codexSandboxModes)
      .default('workspace-write')
      .describe('workspace-write, read-only, or none (no sandbox); never asks a person.'),
    max_retries: nonNegativeInteger
      .default(defaultCodexMaxRetries)
      .describe('Retries of a failed model request or stream (custom provider only).'),
    prices: z
      .record(z.string().min(1), priceSchema)
      .default({})
      .describe('USD per million tokens by model, to report a cost; otherwise the budget prices usage.'),
    secret_environment_variables: stringList
      .default([])
      .describe('More environment variables that hold secrets.'),
    extra_arguments: stringList.default([]).describe('Arguments added to every codex exec invocation.'),
  })
  .strict();

export type CodexWorkflowSettings = z.output<typeof codexSettingsSchema>;

/** Maps the snake_case WORKFLOW.md section onto `createCodexAgent` settings. */
export function codexAgentSettingsFromWorkflow(settings: CodexWorkflowSettings): CodexAgentSettings {
  return {
    binaryPath: settings.binary_path,
    model: settings.model,
    provider:
      settings.provider === null
        ? null
        : {
            id: settings.provider.id,
            baseUrl: settings.provider.base_url,
            envKey: settings.provider.env_key,
            wireApi: settings.provider.wire_api,
          },
    sandbox: settings.sandbox,
    maxRetries: settings.max_retries,
    prices: Object.fromEntries(
      Object.entries(settings.prices).map(([model, price]) => [
        model,
        {
          input: price.input,
          output: price.output,
          ...(price.cache_read !== undefined ? { cacheRead: price.cache_read } : {}),
          ...(price.cache_write !== undefined ? { cacheWrite: price.cache_write } : {}),
        },
      ]),
    ),
    secretEnvironmentVariables: settings.secret_environment_variables,
    extraArguments: settings.extra_arguments,
  };
}
