// How fast the markdown tracker lists 10,000 task files, as ratios measured in one run against a
// plain directory read of the same files (readdir + readFile of every file, no parsing; the
// faster of a synchronous loop and promises in slices):
// - cold: a fresh tracker parses every file;
// - warm: the same tracker lists again and only stats the files (nothing changed);
// - warm after an edit: 10 files changed, only they are parsed again.
// The files are created in a temporary folder at run time; a throwaway read first puts them in
// the page cache, so every measurement reads from memory, not disk.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMarkdownTracker } from '../packages/tracker-markdown/src/index.js';

const taskCount = 10_000;
const statuses = ['todo', 'in progress', 'done', 'cancelled', 'todo'];
const activeStates = ['todo', 'in progress'];

function taskFile(number: number): string {
  const blockers = number > 10 && number % 7 === 0 ? `[TASK-${number - 3}]` : '[]';
  return `---
id: TASK-${number}
title: Task number ${number} with a realistic title about a feature
status: ${statuses[number % statuses.length]}
priority: ${(number % 4) + 1}
type: ${number % 2 === 0 ? 'bug' : 'feature'}
labels: [area-${number % 12}, backend]
blocked_by: ${blockers}
created: 2026-01-01T00:00:00.000Z
updated: 2026-01-02T00:00:00.000Z
---

The description of task ${number}. It explains what is wrong, what is expected, and how to
reproduce it, in a few short paragraphs like a person would write.

- Step one
- Step two

## Activity

- 2026-01-01T00:00:00.000Z · loompa · created
- 2026-01-02T00:00:00.000Z · alice · commented: looked into it
`;
}

async function median(repetitions: number, measure: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < repetitions; index++) times.push(await measure());
  times.sort((left, right) => left - right);
  return times[Math.floor(times.length / 2)]!;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const repositoryPath = await mkdtemp(path.join(os.tmpdir(), 'loompa-markdown-bench-'));
try {
  const directory = path.join(repositoryPath, '.loompa', 'tasks');
  await mkdir(directory, { recursive: true });
  for (let start = 1; start <= taskCount; start += 500) {
    const batch = Array.from({ length: Math.min(500, taskCount - start + 1) }, (_, offset) => start + offset);
    await Promise.all(
      batch.map((number) => writeFile(path.join(directory, `TASK-${number}.md`), taskFile(number))),
    );
  }

  // The baseline is the faster of two plain reads (synchronous, and promises in slices), so the
  // ratios do not flatter the tracker.
  const plainReadSynchronous = async () => {
    let characters = 0;
    for (const name of readdirSync(directory))
      characters += readFileSync(path.join(directory, name), 'utf8').length;
    return characters;
  };
  const plainReadWithPromises = async () => {
    const names = await readdir(directory);
    let characters = 0;
    for (let start = 0; start < names.length; start += 256) {
      const texts = await Promise.all(
        names.slice(start, start + 256).map((name) => readFile(path.join(directory, name), 'utf8')),
      );
      for (const text of texts) characters += text.length;
    }
    return characters;
  };
  await plainReadSynchronous();

  const plainSynchronousMs = await median(5, () => timed(plainReadSynchronous));
  const plainPromisesMs = await median(5, () => timed(plainReadWithPromises));
  const plainMs = Math.min(plainSynchronousMs, plainPromisesMs);
  let listed = 0;
  let parsed = 0;
  const coldMs = await median(3, () =>
    timed(async () => {
      const tracker = createMarkdownTracker({ repositoryPath });
      listed = (await tracker.listIssues({ states: activeStates })).length;
      parsed = tracker.tasks.parsedFileCount;
    }),
  );
  const tracker = createMarkdownTracker({ repositoryPath });
  await tracker.listIssues({ states: activeStates });
  const warmMs = await median(5, () => timed(() => tracker.listIssues({ states: activeStates })));
  const warmAfterEditMs = await median(3, async () => {
    for (let number = 1; number <= 10; number++) {
      const filePath = path.join(directory, `TASK-${number}.md`);
      await writeFile(
        filePath,
        `${await readFile(filePath, 'utf8')}- ${new Date().toISOString()} · bench · edited\n`,
      );
    }
    return timed(() => tracker.listIssues({ states: activeStates }));
  });
  const refreshMs = await median(5, () => timed(() => tracker.getIssues({ ids: ['TASK-1', 'TASK-5000'] })));

  const row = (name: string, milliseconds: number) =>
    `${name.padEnd(46)} ${milliseconds.toFixed(1).padStart(8)} ms  ${(milliseconds / plainMs).toFixed(2).padStart(6)}× plain read`;
  console.log(
    `markdown tracker listing: ${taskCount} task files (${parsed} parsed cold), ${listed} in active states`,
  );
  console.log(row('plain read, synchronous (readdir + readFile)', plainSynchronousMs));
  console.log(row('plain read, promises in slices of 256', plainPromisesMs));
  console.log(row('cold list (fresh tracker, parses all)', coldMs));
  console.log(row('warm list (nothing changed, stats only)', warmMs));
  console.log(row('warm list after 10 files changed', warmAfterEditMs));
  console.log(row('refresh 2 ids (warm)', refreshMs));
  console.log(`cold / warm: ${(coldMs / warmMs).toFixed(1)}×`);
} finally {
  await rm(repositoryPath, { recursive: true, force: true });
}
