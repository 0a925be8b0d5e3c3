import { mkdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type AgentBackendV1,
  type AgentRunOptions,
  type AgentRunResult,
  emptyTokenUsage,
  processOptionsForRun,
  resolveAgentExecutable,
  runAgentProcess,
  safeEventListener,
  type TokenUsage,
  withRunStateDirectory,
} from '@loompa/core';
import { buildCodexConfiguration } from './codex-configuration.js';
import { findCodexModelPrice, priceCodexUsage } from './codex-pricing.js';
import { waitForCodexRunProcessesToExit } from './codex-run-processes.js';
import { buildCodexRunResult } from './codex-run-result.js';
import { type CodexAgentSettings, defaultCodexMaxRetries } from './codex-settings.js';
import { CodexStreamParser } from './codex-stream-parser.js';
import { readThreadUsage, writeThreadUsage } from './codex-thread-usage.js';

/** Variables that carry OpenAI and Codex credentials; core redacts their values. */
export const codexSecretEnvironmentVariables = [
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'AZURE_OPENAI_API_KEY',
] as const;

/**
 * What Codex reads from the environment besides its keys: OpenAI endpoint and account settings
 * and its own switches. `CODEX_HOME` among them is always replaced by the work item's own.
 */
export const codexEnvironmentVariables = ['OPENAI_*', 'CODEX_*', 'AZURE_OPENAI_*'] as const;

/** `AgentBackendV1` driving OpenAI's Codex CLI (`codex exec --json`). */
export class CodexAgent implements AgentBackendV1 {
  readonly specificationVersion = 'agent-backend-v1' as const;
  readonly name = 'codex';
  readonly secretEnvironmentVariables: readonly string[];
  readonly environmentVariables: readonly string[] = codexEnvironmentVariables;

  constructor(private readonly settings: CodexAgentSettings = {}) {
    const providerKey = settings.provider?.envKey;
    this.secretEnvironmentVariables = [
      ...new Set([
        ...codexSecretEnvironmentVariables,
        ...(providerKey ? [providerKey] : []),
        ...(settings.secretEnvironmentVariables ?? []),
      ]),
    ];
  }

  run(options: AgentRunOptions): Promise<AgentRunResult> {
    return this.execute(options, null);
  }

  resume(options: AgentRunOptions & { sessionId: string }): Promise<AgentRunResult> {
    return this.execute(options, options.sessionId);
  }

  /** The run's model, else the configured default; null leaves the choice to Codex. */
  resolveModel(model: string | undefined): string | null {
    return model ?? this.settings.model ?? null;
  }

  /**
   * The command line for a run. The prompt goes to standard input (`-`), never into argv;
   * the process starts in the worktree, since `resume` takes no `-C`.
   */
  buildArguments(options: AgentRunOptions, resumeThreadId: string | null): string[] {
    const args = ['exec', '--json', '--strict-config', '--skip-git-repo-check'];
    const sandbox = this.settings.sandbox ?? 'workspace-write';
    if (sandbox === 'none') args.push('--dangerously-bypass-approvals-and-sandbox');
    else args.push('--sandbox', sandbox);
    const model = this.resolveModel(options.model);
    if (model !== null) args.push('--model', model);
    args.push(...(this.settings.extraArguments ?? []));
    if (resumeThreadId !== null) args.push('resume', resumeThreadId);
    args.push('-');
    return args;
  }

  private usagePrice(model: string | null): ((usage: TokenUsage) => number) | null {
    const price = findCodexModelPrice(this.settings.prices ?? {}, model);
    return price === null ? null : (usage) => priceCodexUsage(price, usage);
  }

  private async execute(options: AgentRunOptions, resumeThreadId: string | null): Promise<AgentRunResult> {
    const executable = resolveAgentExecutable({
      command: 'codex',
      title: 'The Codex CLI',
      packageName: '@openai/codex',
      binaryPathSetting: 'codex.binary_path',
      binaryPath: this.settings.binaryPath,
      searchPath: options.env.PATH,
      nearModule: import.meta.url,
    });
    return withRunStateDirectory(options.stateDirectory, 'loompa-codex-', async (stateDirectory) => {
      const directories = {
        HOME: path.join(stateDirectory, 'home'),
        // Sessions live here, so resume needs the work item's own CODEX_HOME for its whole life.
        CODEX_HOME: path.join(stateDirectory, 'codex-home'),
        TMPDIR: path.join(stateDirectory, 'tmp'),
      };
      await Promise.all(Object.values(directories).map((directory) => mkdir(directory, { recursive: true })));
      await writeFile(
        path.join(directories.CODEX_HOME, 'config.toml'),
        buildCodexConfiguration({
          provider: this.settings.provider ?? null,
          maxRetries: this.settings.maxRetries ?? defaultCodexMaxRetries,
          instructions: options.instructions ?? null,
          hiddenEnvironmentVariables: this.secretEnvironmentVariables,
        }),
      );
      const env: Record<string, string> = { ...options.env, ...directories };
      const model = this.resolveModel(options.model);
      const baseline =
        resumeThreadId === null ? emptyTokenUsage() : await readThreadUsage(stateDirectory, resumeThreadId);
      const emit = safeEventListener(options.onEvent);
      const parser = new CodexStreamParser(emit, { baseline, price: this.usagePrice(model) }, model);
      const maxTurns = options.limits?.maxTurns;
      const outcome = await runAgentProcess({
        ...processOptionsForRun(options),
        executable,
        args: this.buildArguments(options, resumeThreadId),
        env,
        onLine: (line, stop) => {
          parser.parseLine(line);
          // Codex has no turn limit of its own: an answer past the limit that starts a tool stops the run.
          if (
            maxTurns !== undefined &&
            parser.state.modelAnswers > maxTurns &&
            parser.state.answerStartedTool
          ) {
            stop();
          }
        },
      });
      await waitForCodexRunProcessesToExit(
        await realpath(options.cwd).catch(() => options.cwd),
        directories.CODEX_HOME,
      );
      const { threadId, threadUsage } = parser.state;
      if (threadId !== null && threadUsage !== null)
        await writeThreadUsage(stateDirectory, threadId, threadUsage);
      const result = buildCodexRunResult(parser, outcome, { ...options.limits });
      if (result.error) emit({ type: 'error', error: result.error });
      return result;
    });
  }
}

/** Creates the Codex agent backend. */
export function createCodexAgent(settings: CodexAgentSettings = {}): CodexAgent {
  return new CodexAgent(settings);
}
