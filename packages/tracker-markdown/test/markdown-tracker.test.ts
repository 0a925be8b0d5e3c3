import { writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TrackerChange } from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMarkdownTracker, type MarkdownTracker, type TaskFileProblem } from '../src/index.js';
import { createTemporaryDirectory, waitFor } from './temporary-repository.js';

let directory: { path: string; cleanup(): Promise<void> };
let tracker: MarkdownTracker;
let problems: TaskFileProblem[];

beforeEach(async () => {
  directory = await createTemporaryDirectory();
  problems = [];
  tracker = createMarkdownTracker({
    repositoryPath: directory.path,
    watchDebounceMs: 30,
    onProblem: (problem) => problems.push(problem),
  });
  await mkdir(tracker.tasks.directory, { recursive: true });
});

afterEach(async () => {
  await tracker.close();
  await directory.cleanup();
});

const taskPath = (fileName: string) => path.join(tracker.tasks.directory, fileName);

async function writeTask(fileName: string, fields: string): Promise<void> {
  await writeFile(taskPath(fileName), `---\n${fields}\n---\nBody of ${fileName}\n`);
}

describe('malformed task files', () => {
  it('are reported with path, line and problem, and skipped while every other task lists', async () => {
    await writeTask('TASK-1.md', 'id: TASK-1\ntitle: Good\nstatus: todo');
    await writeTask('TASK-2.md', 'id: TASK-2\ntitle: [broken\nstatus: todo');
    await writeTask('TASK-3.md', 'title: No id\nstatus: todo');
    await writeTask('TASK-4.md', 'id: TASK-4\nstatus: todo');
    await writeTask('TASK-5.md', 'id: TASK-5\ntitle: Original five\nstatus: todo');
    await writeTask('copy-of-five.md', 'id: TASK-5\ntitle: Copy of five\nstatus: todo');
    await writeFile(taskPath('notes.txt'), 'not a task');

    const listed = await tracker.listIssues({ states: ['todo'] });
    expect(listed.map((issue) => [issue.id, issue.title]).sort()).toEqual([
      ['TASK-1', 'Good'],
      ['TASK-5', 'Original five'],
    ]);
    const byFile = Object.fromEntries(problems.map((problem) => [path.basename(problem.filePath), problem]));
    expect(Object.keys(byFile).sort()).toEqual(['TASK-2.md', 'TASK-3.md', 'TASK-4.md', 'copy-of-five.md']);
    expect(byFile['TASK-2.md']!.message).toContain('invalid YAML front matter');
    expect(byFile['TASK-2.md']!.filePath).toBe(taskPath('TASK-2.md'));
    expect(byFile['TASK-3.md']).toMatchObject({ line: 2, message: 'the front matter has no "id"' });
    expect(byFile['TASK-4.md']!.message).toBe('the front matter has no "title"');
    expect(byFile['copy-of-five.md']!.message).toContain('duplicate id "TASK-5": TASK-5.md already uses it');

    // Each broken version is reported once, not on every tick; a fix makes the task list again.
    await tracker.listIssues({ states: ['todo'] });
    expect(problems).toHaveLength(4);
    await writeTask('TASK-4.md', 'id: TASK-4\ntitle: Fixed four\nstatus: todo');
    const afterFix = await tracker.listIssues({ states: ['todo'] });
    expect(afterFix.map((issue) => issue.id).sort()).toEqual(['TASK-1', 'TASK-4', 'TASK-5']);
    expect((await tracker.tasks.listTasks()).problems).toHaveLength(3);
  });

  it('refuse writes with a clear error naming the file and line', async () => {
    await writeTask('TASK-9.md', 'id: TASK-9\ntitle: [broken');
    const error = (await tracker.transitionIssue({ issueId: 'TASK-9', state: 'done' }).then(
      () => null,
      (caught: unknown) => caught,
    )) as Error & { code: string };
    expect(error.code).toBe('task_file_invalid');
    expect(error.message).toContain(`${taskPath('TASK-9.md')}:`);
    expect(await readFile(taskPath('TASK-9.md'), 'utf8')).toBe(
      '---\nid: TASK-9\ntitle: [broken\n---\nBody of TASK-9.md\n',
    );
  });
});

describe('blocked_by', () => {
  it('keeps a task undispatchable until every known blocker is terminal', async () => {
    const base = await tracker.tasks.createTask({ title: 'Base' });
    const other = await tracker.tasks.createTask({ title: 'Other' });
    const dependent = await tracker.tasks.createTask({
      title: 'Dependent',
      blockedBy: [base.id, other.id.toLowerCase()],
    });
    expect(dependent.blockedBy).toEqual([base.id, other.id]);

    const read = async () => (await tracker.getIssues({ ids: [dependent.id] }))[0]!;
    expect((await read()).dispatchable).toBe(false);
    expect((await read()).blockedBy).toEqual([
      { id: base.id, identifier: base.id, state: 'todo' },
      { id: other.id, identifier: other.id, state: 'todo' },
    ]);
    await tracker.transitionIssue({ issueId: base.id, state: 'Done' });
    expect((await read()).dispatchable).toBe(false);
    await tracker.transitionIssue({ issueId: other.id, state: 'cancelled' });
    expect((await read()).dispatchable).toBe(true);

    // A blocker that was deleted no longer holds the task back; one reopened does again.
    await tracker.transitionIssue({ issueId: base.id, state: 'todo' });
    expect((await read()).dispatchable).toBe(false);
    await rm(base.filePath);
    const issue = await read();
    expect(issue.dispatchable).toBe(true);
    expect(issue.blockedBy[0]).toEqual({ id: base.id, identifier: base.id, state: null });
  });

  it('refuses blockers that do not exist or are the task itself', async () => {
    const task = await tracker.tasks.createTask({ title: 'Alone' });
    await expect(tracker.tasks.createTask({ title: 'x', blockedBy: ['TASK-99'] })).rejects.toThrow(
      'blockedBy[0]: there is no task "TASK-99"',
    );
    await expect(tracker.tasks.updateTask(task.id, () => ({ blockedBy: [task.id] }))).rejects.toThrow(
      'a task cannot block itself',
    );
  });
});

describe('file names', () => {
  it('finds a task by the id in its front matter when a person renamed the file', async () => {
    await writeTask('login-form.md', 'id: TASK-7\ntitle: Renamed by a person\nstatus: todo');
    await tracker.transitionIssue({ issueId: 'task-7', state: 'in progress' });
    const [issue] = await tracker.getIssues({ ids: ['TASK-7'] });
    expect(issue).toMatchObject({ id: 'TASK-7', state: 'in progress' });
    expect(await readFile(taskPath('login-form.md'), 'utf8')).toContain('status: in progress');
    // The next id counts the renamed task too.
    expect((await tracker.createIssue({ issue: { title: 'Next' } })).id).toBe('TASK-8');
  });
});

describe('incremental listing', () => {
  it('parses only files that changed since the last scan', async () => {
    for (let index = 1; index <= 5; index++)
      await writeTask(`TASK-${index}.md`, `id: TASK-${index}\ntitle: T${index}`);
    await tracker.listIssues({ states: ['todo'] });
    expect(tracker.tasks.parsedFileCount).toBe(5);
    await tracker.listIssues({ states: ['todo'] });
    await tracker.getIssues({ ids: ['TASK-1'] });
    expect(tracker.tasks.parsedFileCount).toBe(5);
    await writeTask('TASK-2.md', 'id: TASK-2\ntitle: Changed two, now longer');
    await rm(taskPath('TASK-3.md'));
    const listed = await tracker.listIssues({ states: ['todo'] });
    expect(tracker.tasks.parsedFileCount).toBe(6);
    expect(listed.find((issue) => issue.id === 'TASK-2')!.title).toBe('Changed two, now longer');
    expect(listed.map((issue) => issue.id)).not.toContain('TASK-3');
  });
});

describe('watch', () => {
  it('fires on create, edit, rename and delete, once per burst, and never after the abort', async () => {
    const controller = new AbortController();
    const changes: TrackerChange[] = [];
    tracker.watch({ abortSignal: controller.signal, onChange: (change) => changes.push(change) });
    const expectChange = async (action: () => Promise<unknown>, ids: string[]) => {
      const before = changes.length;
      await action();
      await waitFor(() => changes.length > before, 'a watch change');
      // Let the debounce window pass so the next step starts from a quiet directory.
      await new Promise((resolve) => setTimeout(resolve, 80));
      const reported = changes.slice(before).flatMap((change) => change.issueIds ?? []);
      for (const id of ids) expect(reported).toContain(id);
    };

    await expectChange(() => writeTask('TASK-1.md', 'id: TASK-1\ntitle: Created'), ['TASK-1']);
    await expectChange(() => writeTask('TASK-1.md', 'id: TASK-1\ntitle: Edited'), ['TASK-1']);
    await expectChange(() => rename(taskPath('TASK-1.md'), taskPath('TASK-2.md')), ['TASK-1', 'TASK-2']);
    await expectChange(() => rm(taskPath('TASK-2.md')), ['TASK-2']);
    // A burst of writes (a bulk edit, an editor's save sequence) is reported as one change.
    const before = changes.length;
    for (let index = 1; index <= 3; index++) {
      writeFileSync(taskPath(`TASK-${index}.md`), `---\nid: TASK-${index}\ntitle: Burst\n---\n`);
    }
    await waitFor(() => changes.length > before, 'a watch change');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(changes.slice(before)).toEqual([{ issueIds: ['TASK-1', 'TASK-2', 'TASK-3'] }]);

    controller.abort();
    const atAbort = changes.length;
    await writeTask('TASK-5.md', 'id: TASK-5\ntitle: After the abort');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(changes.length).toBe(atAbort);
  });
});
