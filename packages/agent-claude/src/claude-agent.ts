import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type AgentBackendV1,
  type AgentRunOptions,
  type AgentRunResult,
  processOptionsForRun,
  resolveAgentExecutable,
  runAgentProcess,
  safeEventListener,
  withRunStateDirectory,
} from '@loompa/core';
import { buildClaudeRunResult } from './claude-run-result.js';
import type { ClaudeAgentSettings } from './claude-settings.js';
import { ClaudeStreamParser } from './claude-stream-parser.js';

/** Variables that carry Claude Code's credentials; core redacts their values. */
export const claudeSecretEnvironmentVariables = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_BEARER_TOKEN_BEDROCK',
] as const;

/**
 * What Claude Code reads from the environment besides its keys: provider endpoints and
 * settings (Anthropic, Bedrock, Vertex), its own switches, and the root-sandbox flag.
 */
export const claudeEnvironmentVariables = [
  'ANTHROPIC_*',
  'CLAUDE_*',
  'AWS_*',
  'CLOUD_ML_REGION',
  'VERTEX_*',
  'DISABLE_*',
  'MCP_*',
  'API_TIMEOUT_MS',
  'MAX_THINKING_TOKENS',
  'BASH_DEFAULT_TIMEOUT_MS',
  'BASH_MAX_TIMEOUT_MS',
  'IS_SANDBOX',
] as const;

/** `AgentBackendV1` driving the Claude Code CLI (`claude -p --output-format stream-json`). */
export class ClaudeAgent implements AgentBackendV1 {
  readonly specificationVersion = 'agent-backend-v1' as const;
  readonly name = 'claude';
  readonly secretEnvironmentVariables: readonly string[] = claudeSecretEnvironmentVariables;
  readonly environmentVariables: readonly string[] = claudeEnvironmentVariables;

  constructor(private readonly settings: ClaudeAgentSettings = {}) {}

  run(options: AgentRunOptions): Promise<AgentRunResult> {
    return this.execute(options, null);
  }

  resume(options: AgentRunOptions & { sessionId: string }): Promise<AgentRunResult> {
    return this.execute(options, options.sessionId);
  }

  /** The command line for a run; the prompt goes to standard input, never into argv. */
  buildArguments(options: AgentRunOptions, resumeSessionId: string | null): string[] {
    const args = [
      ...(this.settings.extraArguments ?? []),
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      this.settings.permissionMode ?? 'acceptEdits',
    ];
    if (resumeSessionId !== null) args.push('--resume', resumeSessionId);
    if (options.model) args.push('--model', options.model);
    if (options.limits?.maxTurns !== undefined) args.push('--max-turns', String(options.limits.maxTurns));
    if (options.instructions) args.push('--append-system-prompt', options.instructions);
    if (this.settings.allowedTools?.length) args.push('--allowedTools', ...this.settings.allowedTools);
    if (this.settings.disallowedTools?.length) {
      args.push('--disallowedTools', ...this.settings.disallowedTools);
    }
    return args;
  }

  private async execute(options: AgentRunOptions, resumeSessionId: string | null): Promise<AgentRunResult> {
    const executable = resolveAgentExecutable({
      command: 'claude',
      title: 'The Claude Code CLI',
      packageName: '@anthropic-ai/claude-code',
      binaryPathSetting: 'claude.binary_path',
      binaryPath: this.settings.binaryPath,
      searchPath: options.env.PATH,
      nearModule: import.meta.url,
    });
    return withRunStateDirectory(options.stateDirectory, 'loompa-claude-', async (stateDirectory) => {
      const home = path.join(stateDirectory, 'home');
      const configDirectory = path.join(stateDirectory, 'claude-config');
      const tmpDirectory = path.join(stateDirectory, 'tmp');
      await Promise.all([home, configDirectory, tmpDirectory].map((dir) => mkdir(dir, { recursive: true })));
      const env: Record<string, string> = {
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        ...options.env,
        // Per work item, so concurrent runs never rewrite each other's config and resume finds its session.
        HOME: home,
        CLAUDE_CONFIG_DIR: configDirectory,
        CLAUDE_CODE_TMPDIR: tmpDirectory,
        TMPDIR: tmpDirectory,
      };
      if (this.settings.maxRetries != null && env.CLAUDE_CODE_MAX_RETRIES === undefined) {
        env.CLAUDE_CODE_MAX_RETRIES = String(this.settings.maxRetries);
      }
      const emit = safeEventListener(options.onEvent);
      const parser = new ClaudeStreamParser(emit);
      const outcome = await runAgentProcess({
        ...processOptionsForRun(options),
        executable,
        args: this.buildArguments(options, resumeSessionId),
        env,
        onLine: (line) => parser.parseLine(line),
      });
      const result = buildClaudeRunResult(parser.state, outcome, options.limits ?? {});
      if (result.error) emit({ type: 'error', error: result.error });
      return result;
    });
  }
}

/** Creates the Claude Code agent backend. */
export function createClaudeAgent(settings: ClaudeAgentSettings = {}): ClaudeAgent {
  return new ClaudeAgent(settings);
}
