import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@loompa/core';
import { createFileExclusively, readFileIfPresent } from './atomic-file-writes.js';

/**
 * Leases on tasks, so two orchestrators on one repository never work the same task.
 *
 * A task's lease is a folder of numbered records, `<tasks>/.claims/<id>/000000000007.json`, and
 * the highest number is the lease in force. Every change (claim, renewal, takeover, release) is
 * the exclusive creation of the next number: of two processes that read the same record and
 * both decide to change it, exactly one creation succeeds. That is a compare-and-swap on the
 * file system with no lock file a crash could leave behind; a crashed owner's lease simply
 * expires. The folder is hidden inside the task folder, so it lives with the tasks on the one
 * repository every instance reads, the task listing (files named `*.md`, not hidden) never
 * sees it, and a `.gitignore` keeps it out of commits.
 */

/** One lease record: who holds the task and until when (`owner` null: released). */
export interface TaskLease {
  owner: string | null;
  /** Milliseconds since the epoch; the lease is free from then on. */
  expiresAt: number;
}

export interface TaskLeasesSettings {
  /** The task folder; leases live in its hidden `.claims` folder. */
  taskDirectory: string;
  /** The clock leases are written and judged by. Default `Date.now`. */
  now?: () => number;
}

const claimsFolderName = '.claims';
const recordNamePattern = /^(\d{12})\.json$/;
const safeIdPattern = /^[a-z0-9_][a-z0-9_.-]*$/;
// Each failed creation means another process changed the lease in between; this many in a row
// means something keeps rewriting it, and the claim is refused rather than spinning.
const maxAttempts = 64;

function recordName(generation: number): string {
  return `${String(generation).padStart(12, '0')}.json`;
}

function parseLease(text: string): TaskLease | null {
  try {
    const parsed = JSON.parse(text) as Partial<TaskLease>;
    if (typeof parsed.expiresAt !== 'number') return null;
    return { owner: typeof parsed.owner === 'string' ? parsed.owner : null, expiresAt: parsed.expiresAt };
  } catch {
    return null;
  }
}

/** Claims and releases task leases; see the file comment for the record scheme. */
export class TaskLeases {
  readonly claimsDirectory: string;
  private readonly now: () => number;
  private ignoreFileWritten = false;

  constructor(settings: TaskLeasesSettings) {
    this.claimsDirectory = path.join(settings.taskDirectory, claimsFolderName);
    this.now = settings.now ?? Date.now;
  }

  /**
   * Claims the task for `owner` for `leaseMs`. True when the task was free, released, expired,
   * or already held by `owner` (then the lease is renewed); false while someone else holds it.
   */
  async claim(taskId: string, owner: string, leaseMs: number): Promise<boolean> {
    if (owner.trim() === '') throw new InvalidArgumentError('a claim needs a non-empty owner');
    if (!Number.isFinite(leaseMs) || leaseMs <= 0)
      throw new InvalidArgumentError(`leaseMs must be a positive number, got ${leaseMs}`);
    const folder = await this.prepareFolderOf(taskId);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await this.readCurrent(folder);
      if (current === null) continue;
      const { lease } = current;
      if (lease !== null && lease.owner !== null && lease.owner !== owner && lease.expiresAt > this.now()) {
        return false;
      }
      if (await this.writeNext(folder, current.generation, { owner, expiresAt: this.now() + leaseMs })) {
        return true;
      }
    }
    return false;
  }

  /** Gives up `owner`'s lease on the task; a lease someone else holds (or none) is left as it is. */
  async release(taskId: string, owner: string): Promise<void> {
    const folder = path.join(this.claimsDirectory, this.folderNameOf(taskId));
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await this.readCurrent(folder);
      if (current === null) continue;
      if (current.lease?.owner !== owner) return;
      if (await this.writeNext(folder, current.generation, { owner: null, expiresAt: 0 })) return;
    }
  }

  /** The lease in force, or null when the task was never claimed. */
  async read(taskId: string): Promise<TaskLease | null> {
    const folder = path.join(this.claimsDirectory, this.folderNameOf(taskId));
    for (;;) {
      const current = await this.readCurrent(folder);
      if (current !== null) return current.lease;
    }
  }

  private folderNameOf(taskId: string): string {
    // Task ids compare case-insensitively; the id also names a folder, so nothing may escape it.
    const name = taskId.trim().toLowerCase();
    if (!safeIdPattern.test(name)) throw new InvalidArgumentError(`"${taskId}" is not a task id`);
    return name;
  }

  private async prepareFolderOf(taskId: string): Promise<string> {
    const folder = path.join(this.claimsDirectory, this.folderNameOf(taskId));
    await mkdir(folder, { recursive: true });
    if (!this.ignoreFileWritten) {
      // Leases are state of running processes, never part of the repository's history.
      await writeFile(path.join(this.claimsDirectory, '.gitignore'), '*\n');
      this.ignoreFileWritten = true;
    }
    return folder;
  }

  /** The highest record number (0: none yet). */
  private async highestGeneration(folder: string): Promise<number> {
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let highest = 0;
    for (const name of names) {
      const match = recordNamePattern.exec(name);
      if (match) highest = Math.max(highest, Number(match[1]));
    }
    return highest;
  }

  /**
   * The record in force. Null when it was superseded while being read (its older neighbours
   * are removed as new records arrive): the caller reads again.
   */
  private async readCurrent(folder: string): Promise<{ generation: number; lease: TaskLease | null } | null> {
    const generation = await this.highestGeneration(folder);
    if (generation === 0) return { generation, lease: null };
    const text = await readFileIfPresent(path.join(folder, recordName(generation)));
    if (text === null) return null;
    // Records are linked into place whole, so an unreadable one was damaged by hand: it holds nothing.
    return { generation, lease: parseLease(text) };
  }

  /**
   * Creates record `seen + 1`. The creation fails when another process created that number
   * first. A creation can also succeed at a number that was already superseded and tidied away
   * (this process read long ago): that is caught by checking it is still the highest, and undone.
   */
  private async writeNext(folder: string, seen: number, lease: TaskLease): Promise<boolean> {
    const generation = seen + 1;
    const recordPath = path.join(folder, recordName(generation));
    if (!(await createFileExclusively(recordPath, `${JSON.stringify(lease)}\n`))) return false;
    if ((await this.highestGeneration(folder)) !== generation) {
      await rm(recordPath, { force: true });
      return false;
    }
    // Keep this record and the one before it: a reader that listed the folder a moment ago
    // may still be opening the previous one. Older records are only history.
    const names = await readdir(folder);
    await Promise.all(
      names.map(async (name) => {
        const match = recordNamePattern.exec(name);
        if (match && Number(match[1]) < seen) await rm(path.join(folder, name), { force: true });
      }),
    );
    return true;
  }
}
