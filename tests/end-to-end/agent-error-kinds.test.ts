import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { claudeAgent } from '@loompa/agent-claude';
import {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorEventMap,
} from '@loompa/core';
import { createScriptedAnthropicServer, type ModelScript, type ScriptedModelServer } from '@loompa/testkit';
import { markdownTracker } from '@loompa/tracker-markdown';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * What the orchestrator does with each kind of agent error, with the real Claude Code CLI
 * against a scripted model server that answers 401, 429 with retry-after, 500, or "prompt is
 * too long".
 */

interface ErrorFixture {
  root: string;
  server: ScriptedModelServer;
  orchestrator: Orchestrator;
  events: OrchestratorEvent[];
  eventsOf<Name extends keyof OrchestratorEventMap>(name: Name): Array<OrchestratorEventMap[Name]>;
}

const fixtures: ErrorFixture[] = [];
afterEach(async () => {
  for (const fixture of fixtures.splice(0)) {
    await fixture.orchestrator.stop();
    await fixture.server.close();
    await rm(fixture.root, { recursive: true, force: true });
  }
}, 60_000);

const waitLong = { timeout: 120_000, interval: 100 };

async function createErrorFixture(
  script: ModelScript,
  options: { tasks: string[]; maxBackoffMs: number; claudeRetries?: number },
) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-agent-errors-'));
  const repository = path.join(root, 'repository');
  await mkdir(path.join(repository, '.loompa', 'tasks'), { recursive: true });
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', repository]);
  await writeFile(path.join(repository, 'README.md'), '# sample\n');
  await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
  execFileSync('git', ['-c', 'user.name=P', '-c', 'user.email=p@x', 'add', '.'], { cwd: repository });
  execFileSync('git', ['-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '--quiet', '-m', 'initial'], {
    cwd: repository,
  });
  for (const id of options.tasks) {
    await writeFile(
      path.join(repository, '.loompa', 'tasks', `${id}.md`),
      `---\nid: ${id}\ntitle: Task ${id}\nstatus: todo\ncreated: 2026-01-01T00:00:00.000Z\n---\n\nDo ${id}.\n`,
    );
  }
  const server = await createScriptedAnthropicServer(script);
  const frontMatter = {
    tracker: { kind: 'markdown' },
    repository: { path: repository },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: {
      kind: 'claude',
      max_concurrent_agents: 1,
      max_attempts: 5,
      max_retry_backoff_ms: options.maxBackoffMs,
      continuation_delay_ms: 3_600_000,
      env: { ANTHROPIC_BASE_URL: server.url, ANTHROPIC_API_KEY: 'scripted-model-needs-no-key' },
    },
    // Claude Code retries even a 401 ten times by default; one retry lets it read a retry-after.
    claude: { permission_mode: 'acceptEdits', max_retries: options.claudeRetries ?? 0 },
  };
  const workflowPath = path.join(root, 'WORKFLOW.md');
  await writeFile(workflowPath, `---\n${stringify(frontMatter)}---\nWork on {{ issue.identifier }}.\n`);
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { markdown: markdownTracker },
    agents: { claude: claudeAgent },
  });
  const events: OrchestratorEvent[] = [];
  orchestrator.events.on('event', (event) => events.push(event));
  const fixture: ErrorFixture = {
    root,
    server,
    orchestrator,
    events,
    eventsOf: <Name extends keyof OrchestratorEventMap>(name: Name) =>
      events
        .filter((event) => event.type === name)
        .map((event) => event.payload as OrchestratorEventMap[Name]),
  };
  fixtures.push(fixture);
  return fixture;
}

describe('agent error kinds with the real Claude Code CLI', () => {
  it('401: pauses the claude kind for every issue with one agent-unavailable event, counting no attempt', async () => {
    const fixture = await createErrorFixture(
      { turns: [{ type: 'http-error', status: 401, message: 'invalid x-api-key' }] },
      { tasks: ['AUTH-1', 'AUTH-2'], maxBackoffMs: 3_600_000, claudeRetries: 0 },
    );
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('agent-unavailable')).toEqual([
      { agentKind: 'claude', reason: expect.stringContaining('401') },
    ]);
    const retry = fixture.eventsOf('retry-scheduled')[0]!;
    expect(retry).toMatchObject({ issueIdentifier: 'AUTH-1', delayMs: 3_600_000 });
    // The next tick dispatches nothing for the paused kind.
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toEqual(['AUTH-1']);
    expect(fixture.eventsOf('agent-unavailable')).toHaveLength(1);
    expect(fixture.eventsOf('issue-blocked')).toEqual([]);
  }, 120_000);

  it('429 with retry-after: the item waits that long, and the attempt is not counted', async () => {
    const fixture = await createErrorFixture(
      { turns: [{ type: 'http-error', status: 429, message: 'rate limited', retryAfterMs: 1_500 }] },
      { tasks: ['RATE-1'], maxBackoffMs: 3_600_000, claudeRetries: 1 },
    );
    await fixture.orchestrator.runOnce();
    const retry = fixture.eventsOf('retry-scheduled')[0]!;
    expect(retry.reason).toContain('the model provider asked to wait');
    expect(retry.delayMs).toBeGreaterThanOrEqual(1_000);
    expect(retry.delayMs).toBeLessThan(60_000);
    expect(fixture.eventsOf('agent-unavailable')).toEqual([]);
  }, 120_000);

  it('500: an ordinary failure, retried with backoff and counted', async () => {
    const fixture = await createErrorFixture(
      { turns: [{ type: 'http-error', status: 500, message: 'internal server error' }] },
      { tasks: ['SERVER-1'], maxBackoffMs: 3_600_000 },
    );
    await fixture.orchestrator.runOnce();
    const retry = fixture.eventsOf('retry-scheduled')[0]!;
    expect(retry).toMatchObject({ issueIdentifier: 'SERVER-1', attempt: 1, delayMs: 10_000 });
    expect(retry.reason).toContain('500');
    expect(fixture.eventsOf('agent-unavailable')).toEqual([]);
  }, 120_000);

  it('context overflow: the next attempt is a fresh session told what the last one said', async () => {
    const fixture = await createErrorFixture(
      {
        turns: [
          {
            type: 'http-error',
            status: 400,
            message: 'prompt is too long: 250000 tokens > 200000 maximum',
            times: 2,
          },
          { type: 'text', text: 'Finished in a fresh session.' },
        ],
      },
      { tasks: ['LONG-1'], maxBackoffMs: 50 },
    );
    await fixture.orchestrator.runOnce();
    await vi.waitFor(() => {
      expect(fixture.eventsOf('agent-run-finished').map((event) => event.result.status)).toContain(
        'completed',
      );
    }, waitLong);
    const finished = fixture.eventsOf('agent-run-finished');
    expect(finished[0]!.result.error?.kind).toBe('context-overflow');
    const started = fixture.eventsOf('agent-run-started');
    expect(started[1]!.sessionId).toBeNull();
    const prompts = fixture.server.modelRequests().map((request) => JSON.stringify(request.body));
    expect(prompts.at(-1)).toContain('ran out of context and was replaced by this fresh one');
  }, 120_000);
});
