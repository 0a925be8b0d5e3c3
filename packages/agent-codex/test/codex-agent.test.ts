import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AgentEvent, isProcessAlive, LoompaError } from '@loompa/core';
import { createScriptedResponsesServer, type ModelScript, type ScriptedModelServer } from '@loompa/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCodexConfiguration,
  type CodexAgentSettings,
  codexAgent,
  codexSettingsSchema,
  createCodexAgent,
} from '../src/index.js';

/** A busy two-core machine may start Codex slowly; nothing here is timed. */
const realCliTimeout = { timeout: 120_000 };
const apiKey = 'sk-test-codex-agent-secret-0123456789';

const temporaryDirectories: string[] = [];
function temporaryDirectory(): string {
  const directory = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'loompa-codex-test-')));
  temporaryDirectories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A git repository, so the test can show that Codex's configuration never lands in the worktree. */
function gitWorktree(files: Record<string, string> = {}): string {
  const directory = temporaryDirectory();
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: directory,
      encoding: 'utf8',
    });
  git('init', '--quiet', '-b', 'main');
  for (const [name, content] of Object.entries({ 'README.md': '# test\n', ...files })) {
    writeFileSync(path.join(directory, name), content);
  }
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  return directory;
}

function gitStatus(directory: string): string {
  return execFileSync('git', ['status', '--porcelain'], { cwd: directory, encoding: 'utf8' });
}

describe('createCodexAgent with the real CLI', realCliTimeout, () => {
  let server: ScriptedModelServer;
  beforeAll(async () => {
    server = await createScriptedResponsesServer({ turns: [] });
  });
  afterAll(() => server.close());

  const agentWith = (settings: CodexAgentSettings = {}) =>
    createCodexAgent({
      provider: { id: 'scripted', baseUrl: `${server.url}/v1`, envKey: 'SCRIPTED_API_KEY' },
      maxRetries: 0,
      ...settings,
    });
  const runIn = (cwd: string, script: ModelScript, extra: { model?: string; instructions?: string } = {}) => {
    server.setScript(script);
    const events: AgentEvent[] = [];
    return {
      events,
      run: (settings?: CodexAgentSettings) =>
        agentWith(settings).run({
          prompt: 'Do the task.',
          cwd,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SCRIPTED_API_KEY: apiKey },
          stateDirectory: path.join(temporaryDirectory(), 'state'),
          model: extra.model ?? 'gpt-5.5',
          ...(extra.instructions ? { instructions: extra.instructions } : {}),
          onEvent: (event) => events.push(event),
        }),
    };
  };

  it('sends the focus instructions and the key from env_key, and writes nothing into the worktree', async () => {
    const cwd = gitWorktree();
    const { run } = runIn(
      cwd,
      { turns: [{ type: 'text', text: 'Nothing to change.' }] },
      { instructions: 'FOCUS-MARKER: act as a security auditor.' },
    );
    const result = await run();
    expect(result.status).toBe('completed');
    const request = server.modelRequests()[0]!;
    expect(JSON.stringify(request.body)).toContain('FOCUS-MARKER: act as a security auditor.');
    expect(request.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(gitStatus(cwd)).toBe('');
  });

  it('edits a file through apply_patch and reports it as an edit', async () => {
    const cwd = gitWorktree({ 'answer.txt': 'The answer is 41.\n' });
    const { run, events } = runIn(cwd, {
      turns: [
        {
          type: 'tool-calls',
          calls: [
            {
              action: 'edit',
              path: path.join(cwd, 'answer.txt'),
              oldText: 'The answer is 41.',
              newText: 'The answer is 42.',
            },
          ],
        },
        { type: 'text', text: 'Fixed.' },
      ],
    });
    const result = await run();
    expect(result.status).toBe('completed');
    expect(readFileSync(path.join(cwd, 'answer.txt'), 'utf8')).toBe('The answer is 42.\n');
    expect(events.find((event) => event.type === 'tool-call')).toMatchObject({ toolName: 'edit' });
  });

  it('writes through exec_command for a model outside Codex’s bundled list (no apply_patch offered)', async () => {
    const cwd = gitWorktree();
    const { run, events } = runIn(
      cwd,
      {
        turns: [
          {
            type: 'tool-calls',
            calls: [{ action: 'write', path: path.join(cwd, 'note.txt'), content: "it's here\n" }],
          },
          { type: 'text', text: 'Wrote.' },
        ],
      },
      { model: 'scripted-model' },
    );
    const result = await run();
    expect(result.status).toBe('completed');
    expect(readFileSync(path.join(cwd, 'note.txt'), 'utf8')).toBe("it's here\n");
    expect(events.find((event) => event.type === 'tool-call')).toMatchObject({ toolName: 'shell' });
    // Codex warns that it has no metadata for the model; that is no failure.
    expect(events.some((event) => event.type === 'raw' && event.line.includes('Model metadata'))).toBe(true);
  });

  it('kills what the agent left running when the run ends, and hides the API key from its commands', async () => {
    const cwd = gitWorktree();
    const pidFile = path.join(cwd, 'background.pid');
    const { run } = runIn(cwd, {
      turns: [
        {
          type: 'tool-calls',
          calls: [{ action: 'run', command: 'env > seen.env; tail -f /dev/null & echo $! > background.pid' }],
        },
        { type: 'text', text: 'Started.' },
      ],
    });
    const result = await run({ sandbox: 'none' });
    expect(result.status).toBe('completed');
    const backgroundPid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(backgroundPid).toBeGreaterThan(0);
    expect(isProcessAlive(backgroundPid)).toBe(false);
    const seenEnvironment = readFileSync(path.join(cwd, 'seen.env'), 'utf8');
    expect(seenEnvironment).toContain('CODEX_THREAD_ID=');
    expect(seenEnvironment).not.toContain(apiKey);
  });

  it('fails as a process error when resuming a thread the state directory does not know', async () => {
    const cwd = gitWorktree();
    server.setScript({ turns: [{ type: 'text', text: 'never' }] });
    const result = await agentWith().resume({
      prompt: 'Continue.',
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SCRIPTED_API_KEY: apiKey },
      stateDirectory: path.join(temporaryDirectory(), 'state'),
      sessionId: '01a22701-0000-7000-8000-000000000000',
    });
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('process');
    expect(server.modelRequests()).toEqual([]);
  });
});

describe('createCodexAgent without the CLI', () => {
  it('rejects with an error naming the package when the binary is missing', async () => {
    const error = await createCodexAgent({ binaryPath: '/nonexistent/codex' })
      .run({ prompt: 'x', cwd: temporaryDirectory(), env: { PATH: '' } })
      .catch((caught: unknown) => caught);
    expect(LoompaError.hasCode(error, 'agent_backend_failed')).toBe(true);
    expect((error as Error).message).toContain('@openai/codex');
  });

  it('keeps the prompt and keys out of argv and resumes by thread id', () => {
    const agent = createCodexAgent({ model: 'gpt-5.5', sandbox: 'none', extraArguments: ['-c', 'foo=1'] });
    const options = {
      prompt: 'secret plan',
      cwd: '/tmp',
      env: { OPENAI_API_KEY: apiKey },
      limits: { maxTurns: 3 },
    };
    expect(agent.buildArguments(options, null)).toEqual([
      'exec',
      '--json',
      '--strict-config',
      '--skip-git-repo-check',
      '--dangerously-bypass-approvals-and-sandbox',
      '--model',
      'gpt-5.5',
      '-c',
      'foo=1',
      '-',
    ]);
    const resumed = createCodexAgent().buildArguments({ ...options, model: 'o4-mini' }, 'thread-9');
    expect(resumed).toEqual([
      'exec',
      '--json',
      '--strict-config',
      '--skip-git-repo-check',
      '--sandbox',
      'workspace-write',
      '--model',
      'o4-mini',
      'resume',
      'thread-9',
      '-',
    ]);
    expect([...resumed, ...agent.buildArguments(options, null)].join(' ')).not.toMatch(/secret plan|sk-test/);
  });

  it('writes a configuration that is offline, never asks, bounds retries and names only the key variable', () => {
    const configuration = buildCodexConfiguration({
      provider: { id: 'gateway', baseUrl: 'http://127.0.0.1:9/v1', envKey: 'GATEWAY_KEY' },
      maxRetries: 1,
      instructions: 'Say "hi"\nthen stop.',
      hiddenEnvironmentVariables: ['OPENAI_API_KEY', 'GATEWAY_KEY'],
    });
    expect(configuration).toContain('approval_policy = "never"');
    expect(configuration).toContain('developer_instructions = "Say \\"hi\\"\\nthen stop."');
    expect(configuration).toContain('model_provider = "gateway"');
    expect(configuration).toContain('[model_providers.gateway]');
    expect(configuration).toContain('request_max_retries = 1');
    expect(configuration).toContain('env_key = "GATEWAY_KEY"');
    expect(configuration).toContain(
      '[shell_environment_policy]\nexclude = ["OPENAI_API_KEY", "GATEWAY_KEY"]',
    );
    for (const switchedOff of ['[analytics]\nenabled = false', 'plugins = false', 'shell_snapshot = false']) {
      expect(configuration).toContain(switchedOff);
    }
    expect(
      buildCodexConfiguration({
        provider: null,
        maxRetries: 1,
        instructions: null,
        hiddenEnvironmentVariables: [],
      }),
    ).not.toContain('model_provider');
  });

  it('treats the provider key variable as a secret and declares the OpenAI and Codex settings it reads', () => {
    const agent = createCodexAgent({ provider: { baseUrl: 'http://x/v1', envKey: 'GATEWAY_KEY' } });
    expect(agent.secretEnvironmentVariables).toEqual(
      expect.arrayContaining(['OPENAI_API_KEY', 'CODEX_API_KEY', 'GATEWAY_KEY']),
    );
    expect(agent.environmentVariables).toEqual(['OPENAI_*', 'CODEX_*', 'AZURE_OPENAI_*']);
  });
});

describe('codex: section of WORKFLOW.md', () => {
  it('defaults to a workspace-write sandbox and bounded retries, and rejects unknown keys', () => {
    expect(codexSettingsSchema.parse({})).toMatchObject({
      binary_path: null,
      provider: null,
      sandbox: 'workspace-write',
      max_retries: 2,
      prices: {},
    });
    expect(codexSettingsSchema.safeParse({ sandbox: 'ask' }).success).toBe(false);
    expect(codexSettingsSchema.safeParse({ sandobx: 'none' }).success).toBe(false);
    expect(
      codexSettingsSchema.safeParse({ provider: { base_url: 'http://x/v1', wire_api: 'chat' } }).success,
    ).toBe(false);
  });

  it('builds the backend with provider, prices and a binary path resolved against the workflow folder', async () => {
    const settings = codexSettingsSchema.parse({
      binary_path: 'bin/codex',
      provider: { base_url: 'http://127.0.0.1:8080/v1', env_key: 'GATEWAY_KEY' },
      prices: { 'gpt-5': { input: '1.25', output: 10 } },
    });
    expect(settings.provider).toEqual({
      id: 'loompa',
      base_url: 'http://127.0.0.1:8080/v1',
      env_key: 'GATEWAY_KEY',
      wire_api: 'responses',
    });
    const agent = codexAgent.create(settings, {
      workflowDirectory: '/srv/project',
      repositoryPath: null,
      stateDirectory: '/srv/state',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      resolveAgent() {
        throw new Error('unused');
      },
    });
    expect(agent.secretEnvironmentVariables).toContain('GATEWAY_KEY');
    const error = await agent.run({ prompt: 'x', cwd: '/tmp', env: {} }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('/srv/project/bin/codex');
  });
});
