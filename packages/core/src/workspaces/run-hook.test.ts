import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HookError } from '../errors/error-classes.js';
import { isProcessAlive } from '../processes/process-state.js';
import { runHook } from './run-hook.js';

const waitOptions = { timeout: 15_000, interval: 25 };
let directory: string;
beforeEach(async () => {
  directory = await realpath(await mkdtemp(path.join(os.tmpdir(), 'loompa-hooks-')));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function readPid(name: string): Promise<number> {
  let pid = Number.NaN;
  await vi.waitFor(async () => {
    pid = Number((await readFile(path.join(directory, name), 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
  }, waitOptions);
  return pid;
}

async function hookError(promise: Promise<void>): Promise<HookError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HookError);
  expect((error as HookError).code).toBe('hook_failed');
  return error as HookError;
}

describe('runHook', () => {
  it('runs the script with sh -lc in the workspace with the given environment', async () => {
    await runHook({
      name: 'after_create',
      script: 'echo "$GREETING from $(pwd)" > greeting.txt',
      cwd: directory,
      timeoutMs: 20_000,
      env: { GREETING: 'hello', PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    expect(await readFile(path.join(directory, 'greeting.txt'), 'utf8')).toBe(`hello from ${directory}\n`);
  });

  it('fails with the exit code and the output in the message', async () => {
    const error = await hookError(
      runHook({
        name: 'before_run',
        script: 'echo to stdout; echo to stderr >&2; exit 3',
        cwd: directory,
        timeoutMs: 20_000,
      }),
    );
    expect(error.hook).toBe('before_run');
    expect(error.message).toMatch(/^hook before_run exited with 3: /);
    expect(error.message).toContain('to stdout');
    expect(error.message).toContain('to stderr');
    expect(error.details).toMatchObject({ exitCode: 3, hook: 'before_run' });
  });

  it('keeps only the tail of a long output', async () => {
    const error = await hookError(
      runHook({
        name: 'before_run',
        script: 'echo head-marker; yes filler-line | head -n 3000; echo tail-marker; exit 1',
        cwd: directory,
        timeoutMs: 20_000,
      }),
    );
    expect(error.message).toContain('tail-marker');
    expect(error.message).not.toContain('head-marker');
    expect(error.message.length).toBeLessThan(5_000);
  });

  it('redacts credentials printed by the hook', async () => {
    const token = `ghp_${'a'.repeat(36)}`;
    const error = await hookError(
      runHook({
        name: 'after_run',
        script: `echo "token is ${token}"; exit 1`,
        cwd: directory,
        timeoutMs: 20_000,
      }),
    );
    expect(error.message).toContain('token is [REDACTED]');
    expect(JSON.stringify(error.details)).not.toContain(token);
  });

  it('kills the whole process group on timeout, even children that ignore SIGTERM', async () => {
    const script = [
      'echo $$ > shell.pid',
      `sh -c 'trap "" TERM; echo $$ > stubborn.pid; exec sleep 60' &`,
      'sleep 60 & echo $! > sleeper.pid',
      'wait',
    ].join('\n');
    const hook = runHook({ name: 'before_run', script, cwd: directory, timeoutMs: 1_500 });
    const pids = await Promise.all(['shell.pid', 'stubborn.pid', 'sleeper.pid'].map(readPid));
    const error = await hookError(hook);
    expect(error.message).toBe('hook before_run timed out after 1500 ms and was killed');
    expect(error.details).toMatchObject({ timedOut: true });
    for (const pid of pids) await vi.waitFor(() => expect(isProcessAlive(pid)).toBe(false), waitOptions);
  });

  it('ends with its script, stopping what the script left in the background', async () => {
    await runHook({
      name: 'after_create',
      script: 'sleep 60 & echo $! > background.pid; echo started',
      cwd: directory,
      // Far longer than the script: finishing must not wait for the background child.
      timeoutMs: 25_000,
    });
    const pid = await readPid('background.pid');
    await vi.waitFor(() => expect(isProcessAlive(pid)).toBe(false), waitOptions);
  });

  it('is killed with its children when the abort signal fires', async () => {
    const controller = new AbortController();
    const hook = runHook({
      name: 'before_run',
      script: 'echo $$ > shell.pid; sleep 60 & echo $! > sleeper.pid; wait',
      cwd: directory,
      timeoutMs: 25_000,
      abortSignal: controller.signal,
    });
    const pids = await Promise.all(['shell.pid', 'sleeper.pid'].map(readPid));
    controller.abort();
    const error = await hookError(hook);
    expect(error.message).toBe('hook before_run was cancelled and killed');
    for (const pid of pids) await vi.waitFor(() => expect(isProcessAlive(pid)).toBe(false), waitOptions);
  });

  it('does not start when the signal is already aborted', async () => {
    const error = await hookError(
      runHook({
        name: 'after_create',
        script: 'touch started',
        cwd: directory,
        timeoutMs: 20_000,
        abortSignal: AbortSignal.abort(),
      }),
    );
    expect(error.message).toContain('was not started');
    expect(existsSync(path.join(directory, 'started'))).toBe(false);
  });
});
