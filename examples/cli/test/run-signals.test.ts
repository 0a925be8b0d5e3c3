import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createSandbox,
  isProcessRunning,
  parseJsonLines,
  removeSandboxes,
  startLoompa,
  waitForOutput,
} from './cli-fixture.js';

afterEach(removeSandboxes);

/** An agent that records its shell's and its child's pids, then works for `seconds`. */
function slowAgent(pidsFile: string, seconds: number): string {
  return [`sleep ${seconds} &`, `echo "$$ $!" >> ${pidsFile}`, 'wait', 'echo done > result.txt'].join('\n');
}

async function agentPids(pidsFile: string): Promise<number[]> {
  const text = await readFile(pidsFile, 'utf8');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

const agentStarted = (text: string) => text.includes('"type":"agent-run-started"');

describe('loompa run and Ctrl-C', () => {
  it('drains on the first SIGINT: nothing new is dispatched, the running agent finishes, exit 0', async () => {
    const sandbox = await createSandbox({
      tasks: [
        { id: 'TASK-1', title: 'First' },
        { id: 'TASK-2', title: 'Second' },
      ],
      agentScript: (root) => slowAgent(path.join(root, 'pids'), 2),
      frontMatter: {
        agent: { kind: 'command', max_concurrent_agents: 1, continuation_delay_ms: 3_600_000 },
      },
    });
    const pidsFile = path.join(sandbox.root, 'pids');
    const loompa = startLoompa(['run', '--json'], { cwd: sandbox.repository });
    await waitForOutput(loompa.stdout!, agentStarted);
    loompa.kill('SIGINT');
    const result = await loompa;

    expect(result.exitCode).toBe(0);
    const events = parseJsonLines(result.stdout);
    const finished = events.filter((event) => event.type === 'agent-run-finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ issue: 'TASK-1', payload: { result: { status: 'completed' } } });
    const dispatched = events
      .filter((event) => event.type === 'issue-dispatched')
      .map((event) => event.issue);
    expect(dispatched).toEqual(['TASK-1']);
    expect(result.stderr).toContain('Stopping: nothing new starts and running agents finish.');
    expect(sandbox.git('show', 'loompa/TASK-1:result.txt')).toBe('done');
    for (const pid of await agentPids(pidsFile)) expect(isProcessRunning(pid)).toBe(false);
    expect(isProcessRunning(loompa.pid!)).toBe(false);
  });

  it('aborts on the second SIGINT: the agent is cancelled, its processes are gone, exit 0', async () => {
    const sandbox = await createSandbox({
      tasks: [{ id: 'TASK-1', title: 'Takes forever' }],
      agentScript: (root) => slowAgent(path.join(root, 'pids'), 600),
    });
    const pidsFile = path.join(sandbox.root, 'pids');
    const loompa = startLoompa(['run', '--json'], { cwd: sandbox.repository });
    await waitForOutput(loompa.stdout!, agentStarted);
    const stderrSeen = waitForOutput(loompa.stderr!, (text) => text.includes('Stopping:'));
    loompa.kill('SIGINT');
    await stderrSeen;
    // The agent-run-started event can come before the agent script has written its pids.
    let pids: number[] = [];
    await vi.waitFor(
      async () => {
        pids = existsSync(pidsFile) ? await agentPids(pidsFile) : [];
        expect(pids).toHaveLength(2);
      },
      { timeout: 15_000, interval: 50 },
    );
    for (const pid of pids) expect(isProcessRunning(pid)).toBe(true);
    loompa.kill('SIGINT');
    const result = await loompa;

    expect(result.exitCode).toBe(0);
    const finished = parseJsonLines(result.stdout).filter((event) => event.type === 'agent-run-finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ issue: 'TASK-1', payload: { result: { status: 'cancelled' } } });
    expect(result.stderr).toContain('Cancelling the running agents');
    for (const pid of pids) expect(isProcessRunning(pid)).toBe(false);
    expect(isProcessRunning(loompa.pid!)).toBe(false);
  });
});
