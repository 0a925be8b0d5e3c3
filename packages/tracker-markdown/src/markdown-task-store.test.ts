import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LoompaError } from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMarkdownTaskStore, type MarkdownTaskStore } from './markdown-task-store.js';

let repositoryPath: string;
let store: MarkdownTaskStore;

beforeEach(async () => {
  repositoryPath = await mkdtemp(path.join(os.tmpdir(), 'loompa-task-store-'));
  store = createMarkdownTaskStore({ repositoryPath, extraStates: ['In Review'], actor: 'tester' });
});

afterEach(async () => {
  await rm(repositoryPath, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown> | (() => unknown)): Promise<LoompaError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (LoompaError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a LoompaError');
}

describe('createTask', () => {
  it('numbers tasks, applies defaults and writes a readable file in .loompa/tasks', async () => {
    const first = await store.createTask({ title: '  Set up CI  ', description: 'Use the local runner.' });
    const second = await store.createTask(
      { title: 'Write docs', priority: 4, type: 'Chore', labels: ['Docs', ' docs '], assignee: 'erin' },
      { actor: 'erin' },
    );
    expect(store.directory).toBe(path.join(repositoryPath, '.loompa', 'tasks'));
    expect(first).toMatchObject({
      id: 'TASK-1',
      title: 'Set up CI',
      status: 'todo',
      description: 'Use the local runner.',
    });
    expect(second).toMatchObject({
      id: 'TASK-2',
      priority: 4,
      type: 'chore',
      labels: ['docs'],
      assignee: 'erin',
      filePath: path.join(store.directory, 'TASK-2.md'),
    });
    expect(second.activity).toEqual([{ time: expect.any(String), actor: 'erin', text: 'created' }]);
    const text = await readFile(second.filePath, 'utf8');
    expect(text).toMatch(
      /^---\nid: TASK-2\ntitle: Write docs\nstatus: todo\npriority: 4\ntype: chore\nlabels: \[docs\]\nassignee: erin\nblocked_by: \[\]\ncreated: \S+\nupdated: \S+\n---\n\n## Activity\n\n- \S+ · erin · created\n$/,
    );
  });

  it.each([
    [{ title: '' }, 'title must not be empty'],
    [{ title: 'two\nlines' }, 'title must be a single line'],
    [{ title: 'x', priority: 7 }, 'priority must be 1 (urgent), 2 (high), 3 (normal) or 4 (low), got 7'],
    [{ title: 'x', labels: ['a,b'] }, 'labels[0] must not contain a comma'],
    [
      { title: 'x', status: 'someday' },
      'Unknown status "someday"; known statuses: todo, in progress, done, cancelled, in review',
    ],
    [{ title: 'x', blockedBy: ['../etc'] }, 'blockedBy[0] "../etc" is not a task id (like TASK-3)'],
  ])('refuses %j with a clear error and writes nothing', async (fields, message) => {
    const error = await errorOf(store.createTask(fields as never));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toBe(message);
    expect((await store.listTasks()).tasks).toEqual([]);
  });
});

describe('listTasks', () => {
  it('filters by status, label and text, sorted by id number', async () => {
    for (let index = 1; index <= 11; index++) await store.createTask({ title: `Task number ${index}` });
    await store.moveTask('TASK-10', 'In Progress');
    await store.updateLabels('TASK-2', { add: ['Bug', 'ui'] });
    await store.updateLabels('TASK-10', { add: ['bug'] });
    await store.updateTask('TASK-3', () => ({ activity: 'edited' }));
    const ids = async (filter: Parameters<MarkdownTaskStore['listTasks']>[0]) =>
      (await store.listTasks(filter)).tasks.map((task) => task.id);

    expect((await ids({})).slice(0, 3)).toEqual(['TASK-1', 'TASK-2', 'TASK-3']);
    expect((await ids({})).at(-1)).toBe('TASK-11');
    expect(await ids({ status: ' IN PROGRESS' })).toEqual(['TASK-10']);
    expect(await ids({ status: ['todo', 'in progress'], label: 'BUG' })).toEqual(['TASK-2', 'TASK-10']);
    expect(await ids({ label: ['bug', 'ui'] })).toEqual(['TASK-2']);
    expect(await ids({ text: 'NUMBER 1' })).toEqual(['TASK-1', 'TASK-10', 'TASK-11']);
    expect(await ids({ text: 'task-11' })).toEqual(['TASK-11']);
  });
});

describe('showTask, moveTask, commentOnTask, updateLabels', () => {
  it('finds tasks case-insensitively and says clearly when there is none', async () => {
    await store.createTask({ title: 'Find me' });
    expect((await store.showTask('task-1')).title).toBe('Find me');
    const error = await errorOf(store.showTask('TASK-404'));
    expect(error.code).toBe('task_not_found');
    expect(error.message).toBe(`No task "TASK-404" in ${store.directory}`);
    expect((await errorOf(store.moveTask('TASK-404', 'done'))).code).toBe('task_not_found');
    expect((await errorOf(() => store.showTask(' '))).message).toBe('id must not be empty');
  });

  it('appends one activity line per event and never rewrites the lines above', async () => {
    const created = await store.createTask({ title: 'History', description: 'Keep me.' });
    const before = await readFile(created.filePath, 'utf8');
    const activityStart = before.indexOf('## Activity');

    const moved = await store.moveTask('TASK-1', 'in review');
    expect(moved.status).toBe('in review');
    await store.commentOnTask('TASK-1', 'Looks good\nwith two lines', { actor: 'frank' });
    await store.commentOnTask('TASK-1', 'CI: pending', { key: 'ci' });
    await store.commentOnTask('TASK-1', 'CI: pending', { key: 'ci' });
    await store.commentOnTask('TASK-1', 'CI: green', { key: 'ci' });
    await store.updateLabels('TASK-1', { add: ['Reviewed'], remove: ['none'] });
    await store.updateLabels('TASK-1', { add: ['reviewed'] });
    // Moving to the current status is no event.
    await store.moveTask('task-1', 'IN REVIEW');

    const after = await readFile(created.filePath, 'utf8');
    expect(after.slice(after.indexOf('## Activity'))).toMatch(
      new RegExp(
        [
          '^## Activity\\n',
          '- \\S+ · tester · created',
          '- \\S+ · tester · moved from todo to in review',
          '- \\S+ · frank · commented: Looks good with two lines',
          '- \\S+ · tester · commented \\[ci\\]: CI: pending',
          '- \\S+ · tester · commented \\[ci\\]: CI: green',
          '- \\S+ · tester · added label reviewed\\n$',
        ].join('\\n'),
      ),
    );
    expect(after.slice(after.indexOf('## Activity'))).toContain(before.slice(activityStart));
    const task = await store.showTask('TASK-1');
    expect(task).toMatchObject({ status: 'in review', labels: ['reviewed'], description: 'Keep me.' });
    expect(task.activity).toHaveLength(6);
  });

  it('refuses an unknown status, an empty comment and bad labels', async () => {
    await store.createTask({ title: 'Strict' });
    const unknown = await errorOf(() => store.moveTask('TASK-1', 'finished'));
    expect(unknown.message).toBe(
      'Unknown status "finished"; known statuses: todo, in progress, done, cancelled, in review',
    );
    expect((await errorOf(() => store.commentOnTask('TASK-1', '   '))).message).toBe(
      'a comment needs a non-empty body',
    );
    expect((await errorOf(() => store.updateLabels('TASK-1', { add: [''] }))).message).toBe(
      'add[0] must not be empty',
    );
  });
});

describe('settings', () => {
  it('are validated with the setting named', () => {
    expect(() => createMarkdownTaskStore({ repositoryPath: '' })).toThrow(
      'repositoryPath must be the path of the source checkout',
    );
    expect(() => createMarkdownTaskStore({ repositoryPath, idPrefix: 'my-prefix' })).toThrow(
      'idPrefix "my-prefix" must start with a letter and hold only letters, digits and underscores',
    );
    expect(() =>
      createMarkdownTaskStore({ repositoryPath, activeStates: ['todo'], terminalStates: ['TODO'] }),
    ).toThrow('states cannot be both active and terminal: todo');
  });

  it('honour the id prefix, an absolute directory and custom states', async () => {
    const directory = path.join(repositoryPath, 'elsewhere');
    const custom = createMarkdownTaskStore({
      repositoryPath,
      directory,
      idPrefix: 'WEB',
      activeStates: ['Backlog', 'Doing'],
      terminalStates: ['Shipped'],
    });
    const task = await custom.createTask({ title: 'Custom' });
    expect(task).toMatchObject({
      id: 'WEB-1',
      status: 'backlog',
      filePath: path.join(directory, 'WEB-1.md'),
    });
    expect((await custom.moveTask('web-1', 'shipped')).status).toBe('shipped');
  });
});
