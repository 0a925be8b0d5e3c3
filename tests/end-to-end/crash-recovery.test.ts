import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProcessesWithEnvironmentEntry, isProcessAlive } from '@loompa/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { killOutright, startOrchestratorProcess } from './fixtures/orchestrator-process.js';

/**
 * An orchestrator process killed with SIGKILL — mid-run and after publishing — and started
 * again on the same state: no duplicate change request, comment or agent run, and no agent
 * left running from the killed instance.
 */

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'run-orchestrator.ts');
const waitOptions = { timeout: 60_000, interval: 100 };

const children: ChildProcess[] = [];
let root: string | null = null;
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
  root = null;
});

function startOrchestrator(workflowPath: string) {
  return startOrchestratorProcess(runner, workflowPath, children);
}

/** Processes (not zombies) whose environment marks them as agents of this test. */
function markedAgentProcesses(marker: string): number[] {
  return findProcessesWithEnvironmentEntry('CRASH_TEST_MARKER', marker).filter(isProcessAlive);
}

describe('crash recovery', () => {
  it('survives SIGKILL mid-run and after publishing without duplicates or orphans', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'loompa-crash-'));
    const repository = path.join(root, 'repository');
    await mkdir(path.join(repository, '.loompa', 'tasks'), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=P', '-c', 'user.email=p@example.com', ...args], {
        cwd: repository,
        encoding: 'utf8',
      });
    git('init', '--quiet', '--initial-branch=main');
    await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'initial');
    await writeFile(
      path.join(repository, '.loompa', 'tasks', 'TASK-1.md'),
      '---\nid: TASK-1\ntitle: Outlive a crash\nstatus: todo\n---\n\nWrite the result.\n',
    );
    const runsFile = path.join(root, 'runs.log');
    const releaseFile = path.join(root, 'release');
    const marker = path.basename(root);
    // The agent records each start, then works (printing as it goes) until the test lets it finish.
    const agentScript = path.join(root, 'agent.sh');
    await writeFile(
      agentScript,
      [
        'cat > /dev/null',
        `echo start >> ${runsFile}`,
        // Silent on purpose: an orphan that never writes never dies of a closed pipe.
        `while [ ! -f ${releaseFile} ]; do sleep 0.1; done`,
        'echo done > result.txt',
      ].join('\n'),
    );
    const workflowPath = path.join(root, 'WORKFLOW.md');
    await writeFile(
      workflowPath,
      `---\n${stringify({
        tracker: { kind: 'markdown' },
        repository: { path: repository },
        workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
        polling: { interval_ms: 200 },
        agent: {
          kind: 'command',
          continuation_delay_ms: 3_600_000,
          env: { CRASH_TEST_MARKER: path.basename(root) },
        },
        command: { command: `sh ${agentScript}` },
        scm: { kind: 'local', base_branch: 'main', auto_merge: false },
      })}---\nWork on {{ issue.identifier }}\n`,
    );
    const runs = () =>
      existsSync(runsFile) ? readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).length : 0;

    // 1. Killed while the agent works: the agent must not survive the next start.
    const first = startOrchestrator(workflowPath);
    await vi.waitFor(() => expect(runs()).toBe(1), waitOptions);
    await killOutright(first);
    const orphans = markedAgentProcesses(marker);
    expect(orphans.length).toBeGreaterThan(0);

    // 2. The next instance stops the orphan, runs the agent again, and publishes.
    const second = startOrchestrator(workflowPath);
    await vi.waitFor(() => expect(runs()).toBe(2), waitOptions);
    const alive = new Set(markedAgentProcesses(marker));
    expect(orphans.filter((pid) => alive.has(pid))).toEqual([]);
    await vi.waitFor(() => expect(markedAgentProcesses(marker).length).toBeGreaterThan(0), waitOptions);
    await writeFile(releaseFile, '');
    await vi.waitFor(
      () => expect(second.events.map((event) => event.type)).toContain('change-request-opened'),
      waitOptions,
    );
    // Publishing ends with the link comment on the task; kill only once it is there.
    const taskPath = path.join(repository, '.loompa', 'tasks', 'TASK-1.md');
    await vi.waitFor(
      () => expect(readFileSync(taskPath, 'utf8')).toContain('opened a change request'),
      waitOptions,
    );
    const taskAfterPublish = readFileSync(taskPath, 'utf8');
    await killOutright(second);

    // 3. Killed after publishing: the third instance adopts the change request and waits.
    const third = startOrchestrator(workflowPath);
    await vi.waitFor(
      () =>
        expect(third.events.filter((event) => event.type === 'tick-finished').length).toBeGreaterThanOrEqual(
          3,
        ),
      waitOptions,
    );
    await killOutright(third);

    expect(runs()).toBe(2);
    expect(third.events.map((event) => event.type)).not.toContain('issue-dispatched');
    expect(third.events.map((event) => event.type)).not.toContain('change-request-opened');
    const changeRequests = readdirSync(path.join(root, 'state', 'change-requests')).filter((name) =>
      name.endsWith('.json'),
    );
    expect(changeRequests).toHaveLength(1);
    const task = readFileSync(path.join(repository, '.loompa', 'tasks', 'TASK-1.md'), 'utf8');
    expect(task).toBe(taskAfterPublish);
    expect(task.match(/opened a change request/g)).toHaveLength(1);
    expect(markedAgentProcesses(marker)).toEqual([]);
  });
});
