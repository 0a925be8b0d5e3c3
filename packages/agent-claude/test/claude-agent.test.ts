import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LoompaError } from '@loompa/core';
import { createScriptedAnthropicServer } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { claudeAgent, claudeSettingsSchema, createClaudeAgent } from '../src/index.js';

const temporaryDirectories: string[] = [];
function temporaryDirectory(): string {
  const directory = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'loompa-claude-test-')));
  temporaryDirectories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Alive and not a zombie waiting for a parent that may never reap it. */
function processRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('createClaudeAgent with the real CLI', () => {
  it('appends the instructions to the system prompt and kills what the agent left running', async () => {
    const cwd = temporaryDirectory();
    const pidFile = path.join(cwd, 'background.pid');
    // A script, because Claude Code's permission check refuses `$!` in a command line.
    writeFileSync(path.join(cwd, 'start.sh'), 'tail -f /dev/null &\necho $! > background.pid\n');
    const server = await createScriptedAnthropicServer({
      turns: [
        { type: 'tool-calls', calls: [{ action: 'run', command: 'sh start.sh' }] },
        { type: 'text', text: 'Started.' },
      ],
    });
    try {
      // acceptEdits would refuse to run a script; as root, bypassPermissions needs IS_SANDBOX=1.
      const result = await createClaudeAgent({ maxRetries: 0, permissionMode: 'bypassPermissions' }).run({
        prompt: 'Start a server.',
        instructions: 'FOCUS-MARKER: act as a security auditor.',
        cwd,
        env: {
          PATH: process.env.PATH ?? '',
          ANTHROPIC_BASE_URL: server.url,
          ANTHROPIC_API_KEY: 'test-key',
          IS_SANDBOX: '1',
        },
      });
      expect(result.status).toBe('completed');
      const firstRequest = JSON.stringify(server.modelRequests()[0]?.body);
      expect(firstRequest).toContain('FOCUS-MARKER: act as a security auditor.');
      const backgroundPid = Number(readFileSync(pidFile, 'utf8').trim());
      expect(backgroundPid).toBeGreaterThan(0);
      expect(processRunning(backgroundPid)).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('createClaudeAgent without the CLI', () => {
  it('rejects with an error naming the package when the binary is missing', async () => {
    const agent = createClaudeAgent({ binaryPath: '/nonexistent/claude' });
    const error = await agent
      .run({ prompt: 'x', cwd: temporaryDirectory(), env: { PATH: '' } })
      .catch((caught: unknown) => caught);
    expect(LoompaError.hasCode(error, 'agent_backend_failed')).toBe(true);
    expect((error as Error).message).toContain('@anthropic-ai/claude-code');
  });

  it('keeps the prompt out of argv and maps limits and instructions onto flags', () => {
    const args = createClaudeAgent({
      permissionMode: 'bypassPermissions',
      disallowedTools: ['WebFetch'],
    }).buildArguments(
      {
        prompt: 'secret plan',
        cwd: '/tmp',
        env: {},
        model: 'claude-opus-4-1',
        instructions: 'Be brief.',
        limits: { maxTurns: 7 },
      },
      'session-9',
    );
    expect(args.join(' ')).not.toContain('secret plan');
    expect(args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'bypassPermissions',
      '--resume',
      'session-9',
      '--model',
      'claude-opus-4-1',
      '--max-turns',
      '7',
      '--append-system-prompt',
      'Be brief.',
      '--disallowedTools',
      'WebFetch',
    ]);
  });
});

describe('claude: section of WORKFLOW.md', () => {
  it('defaults to acceptEdits and rejects unknown modes and keys', () => {
    expect(claudeSettingsSchema.parse({})).toMatchObject({
      permission_mode: 'acceptEdits',
      binary_path: null,
    });
    expect(claudeSettingsSchema.safeParse({ permission_mode: 'ask' }).success).toBe(false);
    expect(claudeSettingsSchema.safeParse({ permision_mode: 'default' }).success).toBe(false);
  });

  it('builds the backend with a binary path resolved against the workflow folder', async () => {
    const settings = claudeSettingsSchema.parse({ binary_path: 'bin/claude', max_retries: '2' });
    expect(settings.max_retries).toBe(2);
    const agent = claudeAgent.create(settings, {
      workflowDirectory: '/srv/project',
      repositoryPath: null,
      stateDirectory: '/srv/state',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      resolveAgent() {
        throw new Error('unused');
      },
    });
    expect(agent.specificationVersion).toBe('agent-backend-v1');
    expect(agent.secretEnvironmentVariables).toContain('ANTHROPIC_API_KEY');
    const error = await agent.run({ prompt: 'x', cwd: '/tmp', env: {} }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('/srv/project/bin/claude');
  });
});
