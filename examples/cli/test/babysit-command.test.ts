import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changeRequestNumberOf } from '../src/commands/babysit-command.js';
import { createSandbox, removeSandboxes, startLoompa } from './cli-fixture.js';

afterEach(removeSandboxes);

const requestFile = (repository: string, number: number) =>
  path.join(repository, '.loompa', 'state', 'store', `${encodeURIComponent(`babysit/${number}`)}.json`);

describe('loompa babysit', () => {
  it('reads numbers and pull or merge request URLs', () => {
    expect(changeRequestNumberOf('12')).toBe(12);
    expect(changeRequestNumberOf('#12')).toBe(12);
    expect(changeRequestNumberOf('!7')).toBe(7);
    expect(changeRequestNumberOf('https://github.com/octo/widgets/pull/34')).toBe(34);
    expect(
      changeRequestNumberOf('https://gitlab.example.com/group/sub/project/-/merge_requests/5#note_1'),
    ).toBe(5);
    expect(changeRequestNumberOf('https://github.com/octo/widgets/issues/34')).toBeNull();
    expect(changeRequestNumberOf('0')).toBeNull();
    expect(changeRequestNumberOf('feature/x')).toBeNull();
  });

  it('opens a scm-local change request for a branch someone made, and the next run babysits it', async () => {
    const sandbox = await createSandbox();
    sandbox.git('checkout', '--quiet', '-b', 'feature/greeting');
    sandbox.git('commit', '--quiet', '--allow-empty', '-m', 'Say hello');
    sandbox.git('checkout', '--quiet', 'main');

    const asked = await startLoompa(['babysit', 'feature/greeting'], { cwd: sandbox.repository });
    expect(asked.stderr).toBe('');
    expect(asked.exitCode).toBe(0);
    expect(asked.stdout).toBe('Babysitting change request 1: `loompa run` takes it up on its next tick.');
    expect(JSON.parse(readFileSync(requestFile(sandbox.repository, 1), 'utf8'))).toMatchObject({ number: 1 });
    // Asking twice changes nothing.
    expect((await startLoompa(['babysit', '#1'], { cwd: sandbox.repository })).exitCode).toBe(0);

    const run = await startLoompa(['run', '--once', '--json'], { cwd: sandbox.repository });
    expect(run.exitCode).toBe(0);
    const babysat = run.stdout.split('\n').filter((line) => line.includes('"type":"change-request-babysat"'));
    expect(babysat).toHaveLength(1);
    expect(JSON.parse(babysat[0]!).payload).toMatchObject({
      issueId: 'change-request:1',
      reason: 'request',
      changeRequest: { branch: 'feature/greeting', title: 'Say hello' },
    });
  });

  it('says what it needs when the reference names no change request', async () => {
    const sandbox = await createSandbox();
    const url = await startLoompa(['babysit', 'https://github.com/octo/widgets/issues/3'], {
      cwd: sandbox.repository,
    });
    expect(url.exitCode).toBe(1);
    expect(url.stderr).toContain(
      'names no change request: give its number (12, #12, !12) or its URL, or a branch',
    );
    const branch = await startLoompa(['babysit', 'no-such-branch'], { cwd: sandbox.repository });
    expect(branch.exitCode).toBe(1);
    expect(branch.stderr).toContain('Branch "no-such-branch" does not exist');
    expect(existsSync(path.join(sandbox.repository, '.loompa', 'state', 'store'))).toBe(false);
  });
});
