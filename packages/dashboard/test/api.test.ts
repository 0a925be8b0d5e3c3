import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorSnapshot,
} from '@loompa/core';
import { localScm } from '@loompa/scm-local';
import { markdownTracker } from '@loompa/tracker-markdown';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LoompaHttpServer, startLoompaHttpServer } from '../src/index.js';

interface Fixture {
  root: string;
  orchestrator: Orchestrator;
  service: LoompaHttpServer;
  events: OrchestratorEvent[];
}

const fixtures: Fixture[] = [];
afterEach(async () => {
  for (const fixture of fixtures.splice(0)) {
    await fixture.service.close();
    await fixture.orchestrator.stop();
    await rm(fixture.root, { recursive: true, force: true });
  }
});

/** A real orchestrator on a temporary repository with one markdown task, served on 127.0.0.1. */
async function startFixture(): Promise<Fixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-api-'));
  const repository = path.join(root, 'repository');
  await mkdir(path.join(repository, '.loompa', 'tasks'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', ...args], {
      cwd: repository,
    });
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
  await writeFile(path.join(repository, 'README.md'), '# sample\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  await writeFile(
    path.join(repository, '.loompa', 'tasks', 'TASK-1.md'),
    '---\nid: TASK-1\ntitle: Write the answer\nstatus: todo\n---\n\nWrite it.\n',
  );
  const workflowPath = path.join(repository, 'WORKFLOW.md');
  await writeFile(
    workflowPath,
    [
      '---',
      'tracker: { kind: markdown }',
      'scm: { kind: local }',
      `workspace: { root: ${JSON.stringify(path.join(root, 'workspaces'))}, state_directory: ${JSON.stringify(path.join(root, 'state'))} }`,
      'polling: { interval_ms: 3600000 }',
      'agent: { kind: command, continuation_delay_ms: 3600000 }',
      'command: { command: "cat > /dev/null; echo 42 > answer.txt" }',
      '---',
      'Work on {{ issue.identifier }}',
      '',
    ].join('\n'),
  );
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { markdown: markdownTracker },
    scms: { local: localScm },
  });
  const events: OrchestratorEvent[] = [];
  orchestrator.events.on('event', (event) => events.push(event));
  const service = await startLoompaHttpServer({ orchestrator, token: null });
  const fixture = { root, orchestrator, service, events };
  fixtures.push(fixture);
  return fixture;
}

describe('the HTTP API', () => {
  it('serves the snapshot, one issue by identifier, and a JSON 404 for an unknown one', async () => {
    const { orchestrator, service } = await startFixture();
    await orchestrator.runOnce();

    const state = await fetch(`${service.url}/api/v1/state`);
    expect(state.status).toBe(200);
    expect(state.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const snapshot = (await state.json()) as OrchestratorSnapshot;
    expect(snapshot.awaiting).toEqual([
      expect.objectContaining({ identifier: 'TASK-1', branch: 'loompa/TASK-1' }),
    ]);
    expect(snapshot.totals.runs).toBe(1);
    expect(typeof snapshot.at).toBe('string');

    const issue = await fetch(`${service.url}/api/v1/task-1`);
    expect(issue.status).toBe(200);
    expect(await issue.json()).toMatchObject({
      identifier: 'TASK-1',
      status: 'awaiting',
      awaiting: { branch: 'loompa/TASK-1' },
    });

    const unknown = await fetch(`${service.url}/api/v1/TASK-404`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: { code: 'issue_not_found', message: 'The orchestrator holds nothing for issue "TASK-404"' },
    });
    const deep = await fetch(`${service.url}/api/v1/TASK-1/extra`);
    expect(deep.status).toBe(404);
    expect(((await deep.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('answers a wrong method with 405 and the methods allowed', async () => {
    const { service } = await startFixture();
    const postState = await fetch(`${service.url}/api/v1/state`, { method: 'POST' });
    expect(postState.status).toBe(405);
    expect(postState.headers.get('allow')).toBe('GET, HEAD');
    expect(((await postState.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    const getRefresh = await fetch(`${service.url}/api/v1/refresh`);
    expect(getRefresh.status).toBe(405);
    expect(getRefresh.headers.get('allow')).toBe('POST');
    await getRefresh.body?.cancel();
    const deleteIssue = await fetch(`${service.url}/api/v1/TASK-1`, { method: 'DELETE' });
    expect(deleteIssue.status).toBe(405);
    await deleteIssue.body?.cancel();
  });

  it('accepts a refresh with 202 and coalesces requests made while one is pending into one tick', async () => {
    const { service, events } = await startFixture();
    const ticks = () => events.filter((event) => event.type === 'tick-started').length;
    const responses = await Promise.all(
      [1, 2, 3].map(() => fetch(`${service.url}/api/v1/refresh`, { method: 'POST' })),
    );
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as Array<{
      queued: boolean;
      coalesced: boolean;
      operations: string[];
    }>;
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202]);
    expect(bodies.every((body) => body.queued && body.operations.join() === 'poll,reconcile')).toBe(true);
    expect(bodies.filter((body) => !body.coalesced)).toHaveLength(1);
    await vi.waitFor(() => expect(events.some((event) => event.type === 'tick-finished')).toBe(true));
    expect(ticks()).toBe(1);
    expect(events.some((event) => event.type === 'issue-dispatched')).toBe(true);

    // Once the pending refresh has run, the next request starts a new one.
    await vi.waitFor(async () => {
      const again = (await (await fetch(`${service.url}/api/v1/refresh`, { method: 'POST' })).json()) as {
        coalesced: boolean;
      };
      expect(again.coalesced).toBe(false);
    });
  });

  it('streams every orchestrator event as a server-sent event', async () => {
    const { orchestrator, service } = await startFixture();
    const listenersBefore = orchestrator.events.listenerCount('event');
    const controller = new AbortController();
    const response = await fetch(`${service.url}/api/v1/events`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const run = orchestrator.runOnce();
    let text = '';
    while (!text.includes('event: change-request-opened')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await run;
    controller.abort();
    const messages = text
      .split('\n\n')
      .filter((block) => block.startsWith('event: '))
      .map((block) => {
        const [eventLine, dataLine] = block.split('\n');
        return {
          event: eventLine!.slice('event: '.length),
          data: JSON.parse(dataLine!.slice('data: '.length)),
        };
      });
    const names = messages.map((message) => message.event);
    expect(names.slice(0, 2)).toEqual(['workflow-loaded', 'tick-started']);
    expect(names).toContain('agent-run-finished');
    const dispatched = messages.find((message) => message.event === 'issue-dispatched')!;
    expect(dispatched.data).toMatchObject({ type: 'issue-dispatched', issue: 'TASK-1' });
    expect(new Date(dispatched.data.at).toISOString()).toBe(dispatched.data.at);
    // The stream's listener is gone once the client disconnects.
    await vi.waitFor(() => expect(orchestrator.events.listenerCount('event')).toBe(listenersBefore));
  });
});
