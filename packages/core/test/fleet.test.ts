import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestIssue, MockTracker } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { createFleet, type Fleet, type FleetEvent } from '../src/index.js';
import { createGitRepository } from './helpers/orchestrator-fixture.js';

let fleet: Fleet | null = null;
let root: string | null = null;
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
  if (root) await rm(root, { recursive: true, force: true });
  root = null;
});

/** A project folder with its own repository and WORKFLOW.md, and a mock tracker holding `count` issues. */
async function project(name: string, count: number, frontMatter: Record<string, unknown> = {}) {
  const directory = path.join(root!, name);
  const repository = path.join(directory, 'repository');
  await mkdir(repository, { recursive: true });
  createGitRepository(repository);
  const workflowPath = path.join(directory, 'WORKFLOW.md');
  await writeFile(
    workflowPath,
    `---\n${stringify({
      tracker: { kind: 'mock' },
      repository: { path: repository },
      workspace: { root: path.join(directory, 'workspaces'), state_directory: path.join(directory, 'state') },
      polling: { interval_ms: 100 },
      agent: { kind: 'command', max_concurrent_agents: 4, max_turns: 1, continuation_delay_ms: 3_600_000 },
      command: { command: 'sleep 0.2' },
      ...frontMatter,
    })}---\nWork on {{ issue.identifier }}\n`,
  );
  const issues = Array.from({ length: count }, (_, index) =>
    createTestIssue({ identifier: `${name.toUpperCase()}-${index + 1}`, priority: 2 }),
  );
  return { workflowPath, trackers: { mock: new MockTracker({ issues }) } };
}

describe('a fleet of projects', () => {
  it('shares one agent limit fairly: a project with 3 tasks is not starved by one with 100', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'loompa-fleet-'));
    // The limit comes from the workflows: the smallest value wins.
    const big = await project('big', 100, { fleet: { max_concurrent_agents: 6 } });
    const small = await project('small', 3, { fleet: { max_concurrent_agents: 4 } });
    fleet = createFleet({ projects: [big, small] });
    const events: FleetEvent[] = [];
    let mostRunning = 0;
    fleet.onEvent((event) => {
      events.push(event);
      if (event.type === 'agent-run-started') mostRunning = Math.max(mostRunning, fleet!.snapshot().running);
    });
    // The busy project starts first and takes every slot of the idle fleet.
    await fleet.project('big').start();
    await vi.waitFor(() => expect(fleet!.project('big').snapshot().running).toHaveLength(4), {
      timeout: 60_000,
    });
    await fleet.start();
    const dispatched = () =>
      events.filter((event) => event.type === 'issue-dispatched').map((event) => event.project);
    await vi.waitFor(() => expect(dispatched().filter((name) => name === 'small')).toHaveLength(3), {
      timeout: 120_000,
      interval: 50,
    });
    // The small project got its three runs while the big one still had most of its work waiting.
    const order = dispatched();
    const bigBeforeSmallFinished = order
      .slice(0, order.lastIndexOf('small'))
      .filter((name) => name === 'big');
    expect(bigBeforeSmallFinished.length).toBeLessThan(20);
    await vi.waitFor(() => expect(dispatched().filter((name) => name === 'big')).toHaveLength(100), {
      timeout: 240_000,
      interval: 100,
    });
    expect(mostRunning).toBeLessThanOrEqual(4);
    const snapshot = fleet.snapshot();
    expect(snapshot.maxConcurrentAgents).toBe(4);
    expect(snapshot.projects.map((entry) => entry.name)).toEqual(['big', 'small']);
    expect(snapshot.projects[1]!.snapshot.retrying).toHaveLength(3);
  }, 300_000);

  it('keeps each project its own: names, events and snapshots per workflow', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'loompa-fleet-'));
    const first = await project('first', 1);
    const second = await project('second', 1);
    fleet = createFleet({ projects: [first, { ...second, name: 'first' }], maxConcurrentAgents: 2 });
    expect(fleet.projectNames).toEqual(['first', 'first-2']);
    const events: FleetEvent[] = [];
    fleet.onEvent((event) => events.push(event));
    await fleet.start();
    await vi.waitFor(
      () => expect(events.filter((event) => event.type === 'agent-run-finished')).toHaveLength(2),
      {
        timeout: 60_000,
      },
    );
    const dispatched = events.filter((event) => event.type === 'issue-dispatched');
    expect(
      dispatched
        .map((event) => [event.project, 'issueIdentifier' in event.payload && event.payload.issueIdentifier])
        .sort(),
    ).toEqual([
      ['first', 'FIRST-1'],
      ['first-2', 'SECOND-1'],
    ]);
    expect(fleet.project('first-2').snapshot().workflow.filePath).toBe(second.workflowPath);
    expect(() => fleet!.project('third')).toThrow(/first, first-2/);
    expect(
      execFileSync('git', ['branch', '--list', 'loompa/*'], {
        cwd: path.join(root, 'first', 'repository'),
        encoding: 'utf8',
      }),
    ).toContain('loompa/FIRST-1');
  }, 120_000);
});
