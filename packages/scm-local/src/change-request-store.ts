import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ScmError } from '@loompa/core';
import { readJsonFile, writeJsonFileAtomically } from './atomic-json-file.js';
import type { ChangeRequestRecord } from './change-request-record.js';
import { KeyedMutex } from './keyed-mutex.js';

export interface NewChangeRequest {
  branch: string;
  baseBranch: string;
  title: string;
  body: string;
}

/**
 * Change-request records under `<state>/change-requests/<number>.json`. Updates of one
 * record are serialized in this process and every write is atomic, so a crash leaves the
 * last complete record.
 */
export class ChangeRequestStore {
  private readonly directory: string;
  private readonly mutex = new KeyedMutex();

  constructor(stateDirectory: string) {
    this.directory = path.join(stateDirectory, 'change-requests');
  }

  private recordPath(id: string): string {
    if (!/^[1-9][0-9]*$/.test(id)) {
      throw new ScmError(`"${id}" is not a scm-local change request id (a positive number)`, {
        details: { reason: 'not_found', id },
      });
    }
    return path.join(this.directory, `${id}.json`);
  }

  async list(): Promise<ChangeRequestRecord[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: ChangeRequestRecord[] = [];
    for (const name of names) {
      if (!/^[1-9][0-9]*\.json$/.test(name)) continue;
      const record = await readJsonFile<ChangeRequestRecord>(path.join(this.directory, name));
      if (record) records.push(record);
    }
    return records.sort((left, right) => left.number - right.number);
  }

  async get(id: string): Promise<ChangeRequestRecord> {
    const record = await readJsonFile<ChangeRequestRecord>(this.recordPath(id));
    if (!record) {
      throw new ScmError(`scm-local has no change request ${id} (looked in ${this.directory})`, {
        details: { reason: 'not_found', id },
      });
    }
    return record;
  }

  /**
   * Claims the next number by hard-linking a complete temporary file to its final name:
   * the link fails if another writer took the number first, and a reader never sees a
   * partly written record.
   */
  async create(input: NewChangeRequest): Promise<ChangeRequestRecord> {
    await fs.mkdir(this.directory, { recursive: true });
    const now = new Date().toISOString();
    for (;;) {
      const existing = await this.list();
      const number = (existing.at(-1)?.number ?? 0) + 1;
      const record: ChangeRequestRecord = {
        formatVersion: 1,
        id: String(number),
        number,
        branch: input.branch,
        baseBranch: input.baseBranch,
        title: input.title,
        body: input.body,
        state: 'open',
        createdAt: now,
        updatedAt: now,
        finalHeadSha: null,
        mergedSha: null,
        seenAhead: false,
        comments: [],
        threads: [],
        verdicts: [],
        agentReviews: [],
        ingestedReviewFiles: [],
        lastItemNumber: 0,
      };
      const temporaryPath = path.join(this.directory, `.new-${process.pid}-${randomUUID()}.tmp`);
      await fs.writeFile(temporaryPath, `${JSON.stringify(record, null, 2)}\n`);
      try {
        await fs.link(temporaryPath, this.recordPath(record.id));
        return record;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        await fs.rm(temporaryPath, { force: true });
      }
    }
  }

  /** Reads, changes and writes one record with no other update of it in between. */
  update<Result>(
    id: string,
    change: (record: ChangeRequestRecord) => Result | Promise<Result>,
  ): Promise<{ record: ChangeRequestRecord; result: Result }> {
    return this.mutex.run(id, async () => {
      const record = await this.get(id);
      const result = await change(record);
      record.updatedAt = new Date().toISOString();
      await writeJsonFileAtomically(this.recordPath(id), record);
      return { record, result };
    });
  }
}
