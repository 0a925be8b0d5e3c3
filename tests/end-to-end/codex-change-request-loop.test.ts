import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { codexAgent } from '@loompa/agent-codex';
import { createOrchestrator, type OrchestratorEvent, type OrchestratorEventMap } from '@loompa/core';
import { localScm } from '@loompa/scm-local';
import { createScriptedResponsesServer, type ModelScript, type ScriptedModelServer } from '@loompa/testkit';
import { markdownTracker } from '@loompa/tracker-markdown';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * The change-request loop on the real Codex CLI: a markdown task, a git worktree, scm-local
 * checks, and `codex exec` talking to a scripted Responses API server on 127.0.0.1. The first
 * run gets the answer wrong, the check fails, and the resumed session fixes it from the log.
 */

const loopTimeout = { timeout: 180_000, interval: 200 };
const scriptedKey = 'sk-scripted-codex-end-to-end-0123456789';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scriptEditing(answerFile: string, from: string, to: string, reply: string): ModelScript {
  return {
    turns: [
      { type: 'tool-calls', calls: [{ action: 'edit', path: answerFile, oldText: from, newText: to }] },
      { type: 'text', text: reply },
    ],
  };
}

describe('the change-request loop on Codex', () => {
  it('edits, opens a change request, fails its check, resumes the same thread with the log and fixes it', {
    timeout: 240_000,
  }, async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-codex-loop-'));
    const server: ScriptedModelServer = await createScriptedResponsesServer({ turns: [] });
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
        kind: 'codex',
        continuation_delay_ms: 3_600_000,
        max_attempts: 1,
        // A profile picks the model; gpt-5.5 is in Codex's bundled list, so apply_patch is offered.
        profiles: [{ name: 'openai', kind: 'codex', model: 'gpt-5.5' }],
      },
      codex: {
        provider: { id: 'scripted', base_url: `${server.url}/v1`, env_key: 'SCRIPTED_API_KEY' },
        max_retries: 0,
        prices: { 'gpt-5.5': { input: 3, output: 15 } },
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
      environment: { ...process.env, SCRIPTED_API_KEY: scriptedKey },
      trackers: { markdown: markdownTracker },
      scms: { local: localScm },
      agents: { codex: codexAgent },
    });
    cleanups.push(() => orchestrator.stop());
    const events: OrchestratorEvent[] = [];
    const resumedRequests: unknown[] = [];
    orchestrator.events.on('event', (event) => {
      events.push(event);
      // Events are emitted synchronously, so the fix is scripted before the resumed run starts.
      if (event.type === 'agent-run-finished' && eventsOf('agent-run-finished').length === 1) {
        server.setScript(
          scriptEditing(worktreeAnswer, 'answer: 41', 'answer: 42', 'Fixed: the answer is 42.'),
        );
      }
      if (event.type === 'issue-done')
        resumedRequests.push(...server.modelRequests().map((request) => request.body));
    });
    const eventsOf = <Name extends keyof OrchestratorEventMap>(name: Name) =>
      events
        .filter((event) => event.type === name)
        .map((event) => event.payload as OrchestratorEventMap[Name]);

    await orchestrator.runOnce();
    expect(eventsOf('change-request-opened')).toHaveLength(1);
    await vi.waitFor(async () => {
      await orchestrator.tick();
      expect(eventsOf('issue-done')).toHaveLength(1);
    }, loopTimeout);

    const runs = eventsOf('agent-run-finished').map((event) => event.result);
    expect(runs.map((result) => result.status)).toEqual(['completed', 'completed']);
    // The reaction resumed the same Codex thread, with the failing check's log in the prompt.
    expect(runs[1]!.sessionId).toBe(runs[0]!.sessionId);
    expect(eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
    const resumed = JSON.stringify(resumedRequests.at(-1));
    expect(resumed).toContain('The checks on your change failed');
    expect(resumed).toContain('answer: 41');
    // The whole earlier conversation came along: the first prompt and the first answer.
    expect(resumed).toContain('Store the answer');
    expect(resumed).toContain('Set the answer to 41.');
    // Usage per run, not the thread's cumulative total; the cost comes from codex.prices.
    expect(runs[1]!.usage.inputTokens).toBe(200);
    expect(runs[1]!.costUsd).toBeCloseTo((200 * 3 + 40 * 15) / 1e6, 12);

    expect(git('show', 'main:answer.txt')).toBe('answer: 42');
    const subjects = git('log', '--format=%s', 'main').split('\n');
    expect(subjects).toContain('TASK-1: Store the answer');
    expect(subjects).toContain('TASK-1: fix failing checks');
    expect(git('log', '-1', '--format=%B', 'main~1')).toContain('Assisted-by: codex');
    const agentEventText = JSON.stringify(eventsOf('agent-event'));
    expect(agentEventText).not.toContain(scriptedKey);
  });
});
