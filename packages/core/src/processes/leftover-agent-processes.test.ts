import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  agentOwnerVariable,
  findMarkedProcesses,
  terminateMarkedProcesses,
} from './leftover-agent-processes.js';
import { isProcessAlive } from './process-state.js';

const waitOptions = { timeout: 15_000, interval: 25 };
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

function startMarked(owner: string | null, script = 'exec sleep 60'): ChildProcess {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(owner ? { [agentOwnerVariable]: owner } : {}),
  };
  const child = spawn('sh', ['-c', script], { env, stdio: 'ignore', detached: true });
  started.push(child);
  return child;
}

describe('leftover agent processes', () => {
  it('finds and stops only the processes marked with the owner', async () => {
    const owner = randomUUID();
    const mine = [startMarked(owner), startMarked(owner)];
    const otherOwner = startMarked(randomUUID());
    const unmarked = startMarked(null);
    const minePids = mine.map((child) => child.pid!);
    await vi.waitFor(
      async () => expect((await findMarkedProcesses(owner)).sort()).toEqual(minePids.sort()),
      waitOptions,
    );

    const stopped = await terminateMarkedProcesses(owner);
    expect(stopped.sort()).toEqual(minePids.sort());
    for (const pid of minePids) await vi.waitFor(() => expect(isProcessAlive(pid)).toBe(false), waitOptions);
    expect(isProcessAlive(otherOwner.pid!)).toBe(true);
    expect(isProcessAlive(unmarked.pid!)).toBe(true);
    expect(await findMarkedProcesses(owner)).toEqual([]);
  });

  it('kills marked processes that ignore SIGTERM', async () => {
    const owner = randomUUID();
    const stubborn = startMarked(owner, 'trap "" TERM; while true; do sleep 1; done');
    await vi.waitFor(
      async () => expect(await findMarkedProcesses(owner)).toContain(stubborn.pid),
      waitOptions,
    );
    await terminateMarkedProcesses(owner, 300);
    await vi.waitFor(() => expect(isProcessAlive(stubborn.pid!)).toBe(false), waitOptions);
  });

  it('finds nothing when no process carries the marker', async () => {
    expect(await terminateMarkedProcesses(randomUUID(), 100)).toEqual([]);
  });
});
