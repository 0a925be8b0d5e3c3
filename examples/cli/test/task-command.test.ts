import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, parseJsonLines, removeSandboxes, startLoompa } from './cli-fixture.js';

afterEach(removeSandboxes);

describe('loompa task', () => {
  // A dozen starts of the command from its TypeScript sources: seconds each on a busy machine.
  it('creates, lists, shows, moves and comments on tasks, all readable back from the files', {
    timeout: 120_000,
  }, async () => {
    const sandbox = await createSandbox();
    const run = (...args: string[]) => startLoompa(['task', ...args], { cwd: sandbox.repository });

    const created = await run(
      'create',
      'Fix the login form',
      '-p',
      '2',
      '-l',
      'Bug,frontend',
      '-d',
      'It loses state.',
      '--json',
    );
    expect(created.exitCode).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      id: 'TASK-1',
      title: 'Fix the login form',
      status: 'todo',
      priority: 2,
      labels: ['bug', 'frontend'],
      description: 'It loses state.',
    });
    expect((await run('create', 'Second task')).stdout).toBe('Created TASK-2: Second task (todo)');

    const listed = await run('list', '--json', '--label', 'bug');
    expect(parseJsonLines(listed.stdout).map((task) => task.id)).toEqual(['TASK-1']);
    const table = await run('list');
    expect(table.stdout.split('\n').slice(2)).toEqual([
      expect.stringMatching(/^TASK-1\s+todo\s+2\s+Fix the login form\s+bug, frontend$/),
      expect.stringMatching(/^TASK-2\s+todo\s+–\s+Second task$/),
    ]);

    expect((await run('move', 'task-1', 'in progress')).stdout).toBe('Moved TASK-1 to in progress');
    expect((await run('comment', 'TASK-1', 'Reproduced on Firefox')).stdout).toBe('Commented on TASK-1');

    const shown = JSON.parse((await run('show', 'TASK-1', '--json')).stdout) as {
      status: string;
      activity: Array<{ actor: string; text: string }>;
    };
    expect(shown.status).toBe('in progress');
    expect(shown.activity.map((entry) => [entry.actor, entry.text])).toEqual([
      ['tester', 'created'],
      ['tester', 'moved from todo to in progress'],
      ['tester', 'commented: Reproduced on Firefox'],
    ]);
    const file = await readFile(path.join(sandbox.repository, '.loompa', 'tasks', 'TASK-1.md'), 'utf8');
    expect(file).toMatch(/^status: in progress$/m);
    expect(file).toContain('tester · commented: Reproduced on Firefox');

    const inProgress = await run('list', '--status', 'in progress', '--json');
    expect(parseJsonLines(inProgress.stdout).map((task) => task.id)).toEqual(['TASK-1']);
    const human = await run('show', 'TASK-1');
    expect(human.stdout.split('\n')[0]).toBe('TASK-1: Fix the login form');
  });

  it('says what is wrong: exit 1 for a task that does not exist, 2 for bad input', async () => {
    const sandbox = await createSandbox();
    const run = (...args: string[]) => startLoompa(['task', ...args], { cwd: sandbox.repository });
    await run('create', 'Only task');

    const missing = await run('show', 'TASK-9');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `loompa: No task "TASK-9" in ${path.join(sandbox.repository, '.loompa', 'tasks')} [task_not_found]`,
    );
    const badStatus = await run('move', 'TASK-1', 'finished');
    expect(badStatus.exitCode).toBe(2);
    expect(badStatus.stderr.trim()).toBe(
      'loompa: Unknown status "finished"; known statuses: todo, in progress, done, cancelled',
    );
    const badPriority = await run('create', 'Too urgent', '--priority', '0');
    expect(badPriority.exitCode).toBe(2);
    expect(badPriority.stderr).toContain(
      `option '-p, --priority <1-4>' argument '0' is invalid. must be 1 (urgent), 2 (high), 3 (normal) or 4 (low), got "0"`,
    );
  });
});
