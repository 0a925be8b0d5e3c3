import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processGroupExists, signalProcessGroup, terminateProcessGroup } from './process-group.js';
import { isProcessAlive } from './process-state.js';

const waitOptions = { timeout: 15_000, interval: 25 };
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.pid !== undefined) signalProcessGroup(child.pid, 'SIGKILL');
  }
});

/** Starts `script` as the leader of a new process group; resolves with every pid it prints. */
async function startGroup(script: string, pidCount: number): Promise<{ leader: number; pids: number[] }> {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  await vi.waitFor(
    () => expect(output.trim().split('\n').filter(Boolean).length).toBe(pidCount),
    waitOptions,
  );
  return { leader: child.pid!, pids: output.trim().split('\n').map(Number) };
}

describe('terminateProcessGroup', () => {
  it('stops the leader and everything it started', async () => {
    const { leader, pids } = await startGroup('echo $$; sleep 60 & echo $!; sleep 60 & echo $!; wait', 3);
    expect(pids[0]).toBe(leader);
    expect(processGroupExists(leader)).toBe(true);
    await terminateProcessGroup(leader);
    for (const pid of pids) await vi.waitFor(() => expect(isProcessAlive(pid)).toBe(false), waitOptions);
  });

  it('kills members that ignore SIGTERM once the grace period is over', async () => {
    const { pids } = await startGroup(`echo $$; sh -c 'trap "" TERM; echo $$; exec sleep 60' & wait`, 2);
    const [leader, stubborn] = pids as [number, number];
    await terminateProcessGroup(leader, 300);
    await vi.waitFor(() => expect(isProcessAlive(stubborn)).toBe(false), waitOptions);
  });

  it('leaves processes outside the group alone', async () => {
    const { leader: target } = await startGroup('echo $$; exec sleep 60', 1);
    const { leader: bystander } = await startGroup('echo $$; exec sleep 60', 1);
    await terminateProcessGroup(target);
    await vi.waitFor(() => expect(isProcessAlive(target)).toBe(false), waitOptions);
    expect(isProcessAlive(bystander)).toBe(true);
  });

  it('is harmless for a group that is already gone', async () => {
    const { leader } = await startGroup('echo $$; exec sleep 60', 1);
    signalProcessGroup(leader, 'SIGKILL');
    await vi.waitFor(() => expect(isProcessAlive(leader)).toBe(false), waitOptions);
    await vi.waitFor(() => expect(processGroupExists(leader)).toBe(false), waitOptions);
    expect(() => signalProcessGroup(leader, 'SIGTERM')).not.toThrow();
    await expect(terminateProcessGroup(leader, 100)).resolves.toBeUndefined();
  });
});
