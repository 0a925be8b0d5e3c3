import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openCodeAgent } from '@loompa/agent-opencode';
import { createOrchestrator, type OrchestratorEvent, type OrchestratorEventMap } from '@loompa/core';
import { localScm } from '@loompa/scm-local';
import { createScriptedOpenAIServer, type ModelScript, type ScriptedModelServer } from '@loompa/testkit';
import { markdownTracker } from '@loompa/tracker-markdown';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * The change-request loop on the real OpenCode CLI: a markdown task, a git worktree, scm-local
 * checks, and `opencode run` talking to a scripted OpenAI-compatible server on 127.0.0.1. The
 * first run gets the answer wrong, the check fails, and the resumed session fixes it from the log.
 */

// OpenCode spends seconds starting each run, many more on a busy machine.
const loopTimeout = { timeout: 300_000, interval: 200 };
const scriptedKeyVariable = 'SCRIPTED_API_KEY';
const scriptedKey = 'sk-scripted-opencode-end-to-end-0123456789';
/** Per million tokens, as the provider's model entry declares them; OpenCode prices each step. */
const prices = { input: 3, output: 15 };
const usagePerTurn = { inputTokens: 100, outputTokens: 20 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Reads the file, edits it, then answers. OpenCode refuses to edit a file its session has not
 * read, so the read is a turn of its own before the edit.
 */
function scriptEditing(answerFile: string, from: string, to: string, reply: string): ModelScript {
  return {
    defaultUsage: usagePerTurn,
    turns: [
      { type: 'tool-calls', calls: [{ action: 'call', name: 'read', input: { filePath: answerFile } }] },
      { type: 'tool-calls', calls: [{ action: 'edit', path: answerFile, oldText: from, newText: to }] },
      { type: 'text', text: reply },
    ],
    fallbackText: reply,
  };
}

describe('the change-request loop on OpenCode', () => {
  it('edits, opens a change request, fails its check, resumes the same session with the log and fixes it', {
    timeout: 360_000,
  }, async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-opencode-loop-'));
    const server: ScriptedModelServer = await createScriptedOpenAIServer({ turns: [] });
    cleanups.push(async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    });
    const repository = path.join(root, 'repository');
    await mkdir(path.join(repository, '.loompa', 'tasks'), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=Person', '-c', 'user.email=person@example.com', ...args], {
        cwd: repository,
        encoding: 'utf8',
      }).trim();
    git('init', '--quiet', '--initial-branch=main');
    await writeFile(path.join(repository, 'answer.txt'), 'answer: 0\n');
    await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'initial');
    await writeFile(
      path.join(repository, '.loompa', 'tasks', 'TASK-1.md'),
      '---\nid: TASK-1\ntitle: Store the answer\nstatus: todo\ncreated: 2026-01-01T00:00:00.000Z\n---\n\nanswer.txt must say 42.\n',
    );
    const workspaces = path.join(root, 'workspaces');
    const frontMatter = {
      tracker: { kind: 'markdown', active_states: ['todo'], terminal_states: ['done'] },
      repository: { path: repository },
      workspace: { root: workspaces, state_directory: path.join(root, 'state') },
      polling: { interval_ms: 3_600_000 },
      agent: {
        kind: 'opencode',
        continuation_delay_ms: 3_600_000,
        max_attempts: 1,
        // The agent's environment is core's allowlist plus what OpenCode declares plus this:
        // the scripted key reaches OpenCode only because the workflow hands it over, and core
        // registers every agent.env value as a secret, so it is redacted wherever it surfaces.
        env: { [scriptedKeyVariable]: scriptedKey },
      },
      opencode: {
        model: 'scripted/test-model',
        provider: {
          scripted: {
            npm: '@ai-sdk/openai-compatible',
            name: 'Scripted',
            // A timeout, so a silent server ends the run instead of hanging it.
            options: {
              baseURL: `${server.url}/v1`,
              apiKey: `{env:${scriptedKeyVariable}}`,
              timeout: 120_000,
            },
            models: {
              'test-model': {
                name: 'Test model',
                cost: prices,
                limit: { context: 200_000, output: 32_000 },
                tool_call: true,
              },
            },
          },
        },
      },
      scm: {
        kind: 'local',
        base_branch: 'main',
        auto_merge: true,
        checks: [{ name: 'answer', command: 'cat answer.txt; grep -qx "answer: 42" answer.txt' }],
      },
      reactions: { ci: { max_attempts: 2 } },
    };
    const workflowPath = path.join(root, 'WORKFLOW.md');
    await writeFile(
      workflowPath,
      `---\n${stringify(frontMatter)}---\nWork on {{ issue.identifier }}: {{ issue.title }}\n`,
    );

    const worktreeAnswer = path.join(workspaces, 'TASK-1', 'answer.txt');
    server.setScript(scriptEditing(worktreeAnswer, 'answer: 0', 'answer: 41', 'Set the answer to 41.'));
    const orchestrator = createOrchestrator({
      workflowPath,
      trackers: { markdown: markdownTracker },
      scms: { local: localScm },
      agents: { opencode: openCodeAgent },
    });
    cleanups.push(() => orchestrator.stop());
    const events: OrchestratorEvent[] = [];
    orchestrator.events.on('event', (event) => {
      events.push(event);
      // Events are emitted synchronously, so the fix is scripted before the resumed run starts
      // (and the server's request log, which a new script clears, holds only the resumed run's).
      if (event.type === 'agent-run-finished' && eventsOf('agent-run-finished').length === 1) {
        server.setScript(
          scriptEditing(worktreeAnswer, 'answer: 41', 'answer: 42', 'Fixed: the answer is 42.'),
        );
      }
    });
    const eventsOf = <Name extends keyof OrchestratorEventMap>(name: Name) =>
      events
        .filter((event) => event.type === name)
        .map((event) => event.payload as OrchestratorEventMap[Name]);

    await orchestrator.runOnce();
    expect(eventsOf('agent-run-finished').map((event) => event.result.error ?? null)).toEqual([null]);
    expect(eventsOf('change-request-opened')).toHaveLength(1);
    await vi.waitFor(async () => {
      await orchestrator.tick();
      expect(eventsOf('issue-done')).toHaveLength(1);
    }, loopTimeout);

    const runs = eventsOf('agent-run-finished').map((event) => event.result);
    expect(runs.map((result) => result.status)).toEqual(['completed', 'completed']);
    // The reaction resumed the same OpenCode session, with the failing check's log in the prompt.
    expect(runs[1]!.sessionId).toBe(runs[0]!.sessionId);
    expect(eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
    const resumedRequests = server.modelRequests();
    expect(resumedRequests.length).toBeGreaterThan(0);
    const resumed = JSON.stringify(resumedRequests.at(-1)!.body);
    expect(resumed).toContain('The checks on your change failed');
    expect(resumed).toContain('answer: 41');
    // The whole earlier conversation came along: the first prompt and the first answer.
    expect(resumed).toContain('Store the answer');
    expect(resumed).toContain('Set the answer to 41.');
    // Usage and cost per run, not the session's total: three scripted turns each, priced by OpenCode.
    const turnCostUsd =
      (usagePerTurn.inputTokens * prices.input + usagePerTurn.outputTokens * prices.output) / 1e6;
    for (const result of runs) {
      expect(result.usage.inputTokens).toBe(3 * usagePerTurn.inputTokens);
      expect(result.usage.outputTokens).toBe(3 * usagePerTurn.outputTokens);
      expect(result.costUsd).toBeCloseTo(3 * turnCostUsd, 12);
    }

    expect(git('show', 'main:answer.txt')).toBe('answer: 42');
    const subjects = git('log', '--format=%s', 'main').split('\n');
    expect(subjects).toContain('TASK-1: Store the answer');
    expect(subjects).toContain('TASK-1: fix failing checks');
    expect(git('log', '-1', '--format=%B', 'main~1')).toContain('Assisted-by: opencode');
    // The key went to OpenCode (the server saw it) and nowhere else the orchestrator reports.
    expect(resumedRequests.at(-1)!.headers.authorization).toBe(`Bearer ${scriptedKey}`);
    expect(JSON.stringify(events)).not.toContain(scriptedKey);
  });
});
