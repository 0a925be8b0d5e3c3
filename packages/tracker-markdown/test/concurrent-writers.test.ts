import { execFileSync, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMarkdownTaskStore, type MarkdownTaskStore, parseTaskFile } from '../src/index.js';
import { createTemporaryDirectory } from './temporary-repository.js';

const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));
const writerScript = fileURLToPath(new URL('./fixtures/task-writer-process.ts', import.meta.url));

let directory: { path: string; cleanup(): Promise<void> };
let store: MarkdownTaskStore;

beforeEach(async () => {
  directory = await createTemporaryDirectory();
  store = createMarkdownTaskStore({ repositoryPath: directory.path });
});

afterEach(async () => {
  await directory.cleanup();
});

/** Starts a writer process; it says when it is ready and waits for its instructions, so several start together. */
function startWriter() {
  const child = spawn(process.execPath, ['--conditions=@loompa/source', '--import', 'tsx', writerScript], {
    cwd: workspaceRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', () => {
      if (stdout.startsWith('ready\n')) resolve();
    });
  });
  const finished = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.slice('ready\n'.length)) as string[]);
      else reject(new Error(`writer process exited with ${code}: ${stderr}`));
    });
  });
  return {
    ready,
    release(instructions: Record<string, unknown>) {
      child.stdin.end(`${JSON.stringify({ repositoryPath: directory.path, ...instructions })}\n`);
    },
    finished,
  };
}

/** Another program saving the file: in place (truncate and write) or an editor's rename over it. */
function saveFromAnotherProcess(filePath: string, style: 'in-place' | 'rename', transform: string): void {
  const script = `
    const fs = require('node:fs');
    const [file, style] = process.argv.slice(1);
    const text = fs.readFileSync(file, 'utf8');
    const next = (${transform})(text);
    if (style === 'rename') { fs.writeFileSync(file + '.swp', next); fs.renameSync(file + '.swp', file); }
    else fs.writeFileSync(file, next);`;
  execFileSync(process.execPath, ['-e', script, filePath, style]);
}

describe('concurrent writers', () => {
  it('gives two processes creating tasks at the same moment distinct ids', async () => {
    await store.createTask({ title: 'Already there' });
    const writers = [startWriter(), startWriter()];
    // Both processes have loaded the store before either gets its instructions.
    await Promise.all(writers.map((writer) => writer.ready));
    for (const [index, writer] of writers.entries()) {
      writer.release({ action: 'create', count: 12, label: `writer${index}` });
    }
    const [first, second] = await Promise.all(writers.map((writer) => writer.finished));

    const all = [...first!, ...second!];
    expect(new Set(all).size).toBe(24);
    expect(all).not.toContain('TASK-1');
    const { tasks, problems } = await store.listTasks();
    expect(problems).toEqual([]);
    expect(tasks).toHaveLength(25);
    expect(tasks.map((task) => task.id)).toEqual(
      Array.from({ length: 25 }, (_, index) => `TASK-${index + 1}`),
    );
    // Every file is complete and holds the id its name says, with its writer's title.
    for (const task of tasks.slice(1)) {
      const writer = first!.includes(task.id) ? 'writer0' : 'writer1';
      expect(task.title).toMatch(new RegExp(`^${writer} task \\d+$`));
    }
    expect((await readdir(store.directory)).filter((name) => name.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('loses no comment when two processes append to the same task at once', async () => {
    await store.createTask({ title: 'Busy task' });
    const writers = [startWriter(), startWriter()];
    await Promise.all(writers.map((writer) => writer.ready));
    for (const [index, writer] of writers.entries()) {
      writer.release({ action: 'comment', count: 15, taskId: 'TASK-1', label: `writer${index}` });
    }
    await Promise.all(writers.map((writer) => writer.finished));
    const task = await store.showTask('TASK-1');
    const comments = task.activity.map((entry) => entry.text).filter((text) => text.startsWith('commented'));
    expect(comments).toHaveLength(30);
    for (const writer of ['writer0', 'writer1']) {
      const own = comments.filter((text) => text.includes(`${writer} comment`));
      expect(own).toEqual(
        Array.from({ length: 15 }, (_, index) => `commented: ${writer} comment ${index + 1}`),
      );
    }
  }, 60_000);

  it.each(['in-place', 'rename'] as const)(
    'keeps an edit another process saves (%s) between the read and the write, and applies ours on top',
    async (style) => {
      const created = await store.createTask({ title: 'Shared', description: 'Original description.' });
      let calls = 0;
      const moved = await store.updateTask('TASK-1', (task) => {
        calls++;
        if (calls === 1) {
          saveFromAnotherProcess(
            created.filePath,
            style,
            `(text) => text.replace('Original description.', 'Original description.\\n\\nAdded by a person.').replace('title: Shared', 'title: Renamed by a person')`,
          );
        }
        return { status: 'in progress', activity: `moved from ${task.status} to in progress` };
      });
      expect(calls).toBe(2);
      expect(moved).toMatchObject({ title: 'Renamed by a person', status: 'in progress' });
      const text = await readFile(created.filePath, 'utf8');
      const onDisk = parseTaskFile(text, created.filePath, 'todo');
      expect(onDisk.description).toBe('Original description.\n\nAdded by a person.');
      expect(onDisk.title).toBe('Renamed by a person');
      expect(onDisk.status).toBe('in progress');
      expect(onDisk.activity.map((entry) => entry.text)).toEqual([
        'created',
        'moved from todo to in progress',
      ]);
      expect((await readdir(path.dirname(created.filePath))).sort()).toEqual(['TASK-1.md']);
    },
  );

  it('gives up with a clear error, writing nothing, when the file keeps changing under it', async () => {
    const created = await store.createTask({ title: 'Contended' });
    let calls = 0;
    const error = await store
      .updateTask('TASK-1', () => {
        calls++;
        saveFromAnotherProcess(created.filePath, 'in-place', `(text) => text + '\\nperson line ${calls}\\n'`);
        return { status: 'done', activity: 'moved to done' };
      })
      .then(
        () => null,
        (caught: unknown) => caught as Error & { code: string },
      );
    expect(error?.code).toBe('task_write_conflict');
    expect(calls).toBe(8);
    const text = await readFile(created.filePath, 'utf8');
    expect(text).toContain('person line 8');
    expect(text).toContain('status: todo');
    expect((await readdir(path.dirname(created.filePath))).sort()).toEqual(['TASK-1.md']);
  });
});
