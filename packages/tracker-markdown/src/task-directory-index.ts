import { readFileSync, type Stats, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Task, TaskFileProblem } from './task.js';
import { readTaskFile } from './task-file-format.js';

/** Every readable task in the directory at one moment, plus what was wrong with the rest. */
export interface TaskDirectorySnapshot {
  /** Keyed by the id lowercased, so lookups ignore case. */
  tasks: Map<string, Task>;
  problems: TaskFileProblem[];
  /** File names (`TASK-3.md`) present during the scan, valid or not. */
  fileNames: string[];
}

interface CachedFile {
  signature: string;
  result: { task: Task } | { problem: TaskFileProblem };
}

// Files are statted and read synchronously in slices, yielding to the event loop between
// slices: several times faster than one promise per file through the thread pool (10,000
// files), while no slice holds the loop for more than a few milliseconds.
const sliceSize = 200;

/** Names the directory listing considers task files: `*.md`, not hidden (temporary files start with a dot). */
export function isTaskFileName(fileName: string): boolean {
  return fileName.endsWith('.md') && !fileName.startsWith('.');
}

/** The id a task file's name suggests (`TASK-3.md` → `TASK-3`). */
export function idFromFileName(fileName: string): string {
  return fileName.slice(0, -'.md'.length);
}

function signatureOf(stats: Stats): string {
  // ctime changes on every write and rename, mtime and size catch the rest.
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/**
 * Reads a task directory incrementally: each scan stats every file, and parses only files
 * whose inode, size or times changed since the last scan. A file that cannot be used is
 * reported once per version (through `onProblem`) and left out; every other task still lists.
 */
export class TaskDirectoryIndex {
  /** Files parsed so far (a read in the conformance suite's sense). */
  parsedFileCount = 0;
  private readonly cache = new Map<string, CachedFile>();
  private reportedProblems = new Set<string>();

  constructor(
    readonly directory: string,
    private readonly defaultStatus: string,
    private readonly onProblem: (problem: TaskFileProblem) => void,
  ) {}

  async scan(): Promise<TaskDirectorySnapshot> {
    const fileNames = await this.listFileNames();
    const present = new Map<string, CachedFile>();
    for (let start = 0; start < fileNames.length; start += sliceSize) {
      if (start > 0) await yieldToEventLoop();
      for (const fileName of fileNames.slice(start, start + sliceSize)) {
        const file = this.readCached(fileName);
        if (file) present.set(fileName, file);
      }
    }
    for (const fileName of this.cache.keys()) if (!present.has(fileName)) this.cache.delete(fileName);
    return this.buildSnapshot(present);
  }

  private async listFileNames(): Promise<string[]> {
    try {
      const entries = await readdir(this.directory, { withFileTypes: true });
      return entries
        .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && isTaskFileName(entry.name))
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private readCached(fileName: string): CachedFile | null {
    const filePath = path.join(this.directory, fileName);
    try {
      const signature = signatureOf(statSync(filePath));
      const cached = this.cache.get(fileName);
      if (cached?.signature === signature) return cached;
      const text = readFileSync(filePath, 'utf8');
      this.parsedFileCount++;
      const file: CachedFile = { signature, result: readTaskFile(text, filePath, this.defaultStatus) };
      this.cache.set(fileName, file);
      return file;
    } catch (error) {
      // Deleted or renamed between the listing and the read: it is simply not there any more.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  private buildSnapshot(files: Map<string, CachedFile>): TaskDirectorySnapshot {
    const problems: Array<{ problem: TaskFileProblem; key: string }> = [];
    const candidates = new Map<string, Array<{ fileName: string; task: Task; signature: string }>>();
    for (const [fileName, file] of files) {
      if ('problem' in file.result) {
        problems.push({ problem: file.result.problem, key: `${fileName}|${file.signature}` });
        continue;
      }
      const key = file.result.task.id.toLowerCase();
      const list = candidates.get(key) ?? [];
      list.push({ fileName, task: file.result.task, signature: file.signature });
      candidates.set(key, list);
    }

    const tasks = new Map<string, Task>();
    for (const [key, list] of candidates) {
      // The file named after the id wins; otherwise the first by name, so the choice is stable.
      const winner =
        list.find((candidate) => idFromFileName(candidate.fileName).toLowerCase() === key) ?? list[0]!;
      tasks.set(key, winner.task);
      for (const loser of list) {
        if (loser === winner) continue;
        problems.push({
          problem: {
            filePath: loser.task.filePath,
            line: null,
            message: `duplicate id "${loser.task.id}": ${winner.fileName} already uses it; this file is skipped`,
          },
          key: `${loser.fileName}|${loser.signature}|duplicate:${winner.fileName}`,
        });
      }
    }

    const reported = new Set<string>();
    for (const { problem, key } of problems) {
      reported.add(key);
      if (!this.reportedProblems.has(key)) this.onProblem(problem);
    }
    this.reportedProblems = reported;
    return { tasks, problems: problems.map((entry) => entry.problem), fileNames: [...files.keys()] };
  }
}
