import { mkdir, writeFile } from 'node:fs/promises';
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
import { buildOpenCodeRunResult } from './opencode-run-result.js';
import { defaultOpenCodePermission, type OpenCodeAgentSettings } from './opencode-settings.js';
import { OpenCodeStreamParser } from './opencode-stream-parser.js';

/** Provider keys OpenCode reads from the environment; core redacts their values. */
export const openCodeSecretEnvironmentVariables = [
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'OPENROUTER_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'GROQ_API_KEY',
  'MISTRAL_API_KEY',
  'DEEPSEEK_API_KEY',
  'XAI_API_KEY',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'OPENCODE_SERVER_PASSWORD',
] as const;

/** What OpenCode and its provider packages read from the environment besides the keys above. */
export const openCodeEnvironmentVariables = [
  'OPENCODE_*',
  'OPENAI_*',
  'ANTHROPIC_*',
  'OPENROUTER_*',
  'GEMINI_*',
  'GOOGLE_*',
  'GROQ_*',
  'MISTRAL_*',
  'DEEPSEEK_*',
  'XAI_*',
  'AWS_*',
] as const;

/** `AgentBackendV1` driving the OpenCode CLI (`opencode run --format json`). */
export class OpenCodeAgent implements AgentBackendV1 {
  readonly specificationVersion = 'agent-backend-v1' as const;
  readonly name = 'opencode';
  readonly secretEnvironmentVariables: readonly string[];
  readonly environmentVariables: readonly string[] = openCodeEnvironmentVariables;

  constructor(private readonly settings: OpenCodeAgentSettings = {}) {
    this.secretEnvironmentVariables = [
      ...openCodeSecretEnvironmentVariables,
      ...(settings.secretEnvironmentVariables ?? []),
    ];
  }

  run(options: AgentRunOptions): Promise<AgentRunResult> {
    return this.execute(options, null);
  }

  resume(options: AgentRunOptions & { sessionId: string }): Promise<AgentRunResult> {
    return this.execute(options, options.sessionId);
  }

  /** `provider/model` for a run: the run's model, else the default; a bare name gets a provider. */
  resolveModel(model: string | undefined): string | null {
    const chosen = model ?? this.settings.model ?? null;
    if (chosen === null || chosen.includes('/')) return chosen;
    const defaultProvider = this.settings.model?.includes('/')
      ? this.settings.model.split('/')[0]
      : undefined;
    const providers = Object.keys(this.settings.provider ?? {});
    const provider = defaultProvider ?? (providers.length === 1 ? providers[0] : undefined);
    return provider === undefined ? chosen : `${provider}/${chosen}`;
  }

  /** The command line for a run; the prompt goes to standard input, never into argv. */
  buildArguments(options: AgentRunOptions, resumeSessionId: string | null): string[] {
    // `--title` spares a separate title request to the model.
    const args = ['run', '--format', 'json', '--title', 'loompa'];
    if (resumeSessionId !== null) args.push('--session', resumeSessionId);
    const model = this.resolveModel(options.model);
    if (model !== null) args.push('--model', model);
    return args;
  }

  /** The opencode.json content of a run, passed through `OPENCODE_CONFIG_CONTENT`. */
  buildConfiguration(instructionsFile: string | null): Record<string, unknown> {
    return {
      ...this.settings.config,
      // Snapshots would stage the whole worktree into a shadow git at every step.
      snapshot: false,
      autoupdate: false,
      share: 'disabled',
      permission: this.settings.permission ?? defaultOpenCodePermission,
      ...(this.settings.provider ? { provider: this.settings.provider } : {}),
      ...(instructionsFile !== null
        ? {
            instructions: [
              ...((this.settings.config?.instructions as string[] | undefined) ?? []),
              instructionsFile,
            ],
          }
        : {}),
    };
  }

  private async execute(options: AgentRunOptions, resumeSessionId: string | null): Promise<AgentRunResult> {
    const executable = resolveAgentExecutable({
      command: 'opencode',
      title: 'The OpenCode CLI',
      packageName: 'opencode-ai',
      binaryPathSetting: 'opencode.binary_path',
      binaryPath: this.settings.binaryPath,
      searchPath: options.env.PATH,
      nearModule: import.meta.url,
    });
    return withRunStateDirectory(options.stateDirectory, 'loompa-opencode-', async (stateDirectory) => {
      const home = path.join(stateDirectory, 'home');
      const directories = {
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_DATA_HOME: path.join(home, '.local', 'share'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
        XDG_STATE_HOME: path.join(home, '.local', 'state'),
        TMPDIR: path.join(stateDirectory, 'tmp'),
      };
      await Promise.all(Object.values(directories).map((dir) => mkdir(dir, { recursive: true })));
      let instructionsFile: string | null = null;
      if (options.instructions) {
        // OpenCode takes extra system instructions only as files; this one lives outside the worktree.
        instructionsFile = path.join(stateDirectory, 'loompa-instructions.md');
        await writeFile(instructionsFile, options.instructions);
      }
      const env: Record<string, string> = {
        ...options.env,
        // Per work item, so parallel runs never share a database and resume finds its session.
        ...directories,
        OPENCODE_CONFIG_CONTENT: JSON.stringify(this.buildConfiguration(instructionsFile)),
        OPENCODE_DISABLE_AUTOUPDATE: '1',
        OPENCODE_DISABLE_MODELS_FETCH: '1',
      };
      const emit = safeEventListener(options.onEvent);
      const parser = new OpenCodeStreamParser(emit);
      const maxTurns = options.limits?.maxTurns;
      const outcome = await runAgentProcess({
        ...processOptionsForRun(options),
        executable,
        args: this.buildArguments(options, resumeSessionId),
        env,
        onLine: (line, stop) => {
          parser.parseLine(line);
          // OpenCode's own step limit only asks the model to stop, so the limit is enforced here:
          // a turn that ends wanting more tools once the budget is spent stops the run.
          if (
            maxTurns !== undefined &&
            parser.state.steps >= maxTurns &&
            parser.state.lastStepReason === 'tool-calls'
          ) {
            stop();
          }
        },
      });
      const result = buildOpenCodeRunResult(parser.state, outcome, { ...options.limits });
      if (result.error) emit({ type: 'error', error: result.error });
      return result;
    });
  }
}

/** Creates the OpenCode agent backend. */
export function createOpenCodeAgent(settings: OpenCodeAgentSettings = {}): OpenCodeAgent {
  return new OpenCodeAgent(settings);
}
