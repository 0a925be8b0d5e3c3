import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { type CostEntry, normalizeName } from '@loompa/core';
import { z } from 'zod';
import { BudgetLedgerError } from './budget-ledger-error.js';
import { activitySchema, tokenUsageSchema } from './cost-record-schema.js';

/** A ledger entry as stored: a settled cost with the id that makes recording idempotent. */
export interface LedgerEntry extends CostEntry {
  id: string;
}

/** When and how much, as plain numbers: limits sum these in tight loops. */
export interface SpendSeries {
  /** Milliseconds since the epoch, one per entry. */
  readonly times: number[];
  readonly costsUsd: number[];
}

/**
 * The ledger's spend grouped the ways limits look it up, so a check reads only the spend a
 * limit covers. Profile and focus keys are normalized (trimmed, lowercased).
 */
export interface LedgerIndex {
  all: SpendSeries;
  byIssue: ReadonlyMap<string, SpendSeries>;
  byProfile: ReadonlyMap<string, SpendSeries>;
  byFocus: ReadonlyMap<string, SpendSeries>;
  /** The latest identifier seen for each issue id. */
  issueIdentifiers: ReadonlyMap<string, string>;
}

function emptySeries(): SpendSeries {
  return { times: [], costsUsd: [] };
}

function addTo(groups: Map<string, SpendSeries>, key: string | null, entry: LedgerEntry): void {
  if (key === null) return;
  let series = groups.get(key);
  if (!series) {
    series = emptySeries();
    groups.set(key, series);
  }
  series.times.push(entry.at.getTime());
  series.costsUsd.push(entry.costUsd);
}

const newline = 0x0a;
const ledgerVersion = 1;

const storedEntrySchema = z.object({
  v: z.literal(ledgerVersion),
  id: z.string().min(1),
  at: z.iso.datetime(),
  issueId: z.string(),
  issueIdentifier: z.string(),
  activity: activitySchema,
  focus: z.string().nullable(),
  profile: z.string().nullable(),
  agentKind: z.string(),
  model: z.string().nullable(),
  usage: tokenUsageSchema,
  costUsd: z.number(),
  costSource: z.enum(['agent', 'price-table', 'subscription', 'unknown']),
});

function serialize(entry: LedgerEntry): Buffer {
  const { id, at, ...rest } = entry;
  // Each record starts with a newline instead of ending with one: a record torn by a crash
  // is then always closed off by the next append, never glued to it.
  return Buffer.from(`\n${JSON.stringify({ v: ledgerVersion, id, at: at.toISOString(), ...rest })}`, 'utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The append-only cost ledger: one JSON record per line in one file. Appends are single
 * `O_APPEND` writes followed by `fdatasync`, so a record is either wholly there once it is
 * acknowledged, or (torn by a crash before that) unparseable and ignored. Any number of
 * ledgers, in this process or others, may share the file: each reads what the others
 * appended before it answers, and ids keep every record counted once.
 */
export class CostLedger {
  readonly filePath: string;
  private readonly entries: LedgerEntry[] = [];
  private readonly entriesById = new Map<string, LedgerEntry>();
  private readonly index = {
    all: emptySeries(),
    byIssue: new Map<string, SpendSeries>(),
    byProfile: new Map<string, SpendSeries>(),
    byFocus: new Map<string, SpendSeries>(),
    issueIdentifiers: new Map<string, string>(),
  };
  /** Bytes of the file consumed: everything before is parsed or known to be torn. */
  private consumedBytes = 0;
  private consumedLines = 0;
  private directorySynced = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly directory: string) {
    this.filePath = path.join(directory, 'cost-ledger.jsonl');
  }

  /** Every entry in the file, oldest first, each once. */
  async readEntries(): Promise<readonly LedgerEntry[]> {
    return this.serialized(async () => {
      await this.catchUp();
      return this.entries;
    });
  }

  /** Spend of every entry, and the same grouped by issue, profile and focus. */
  async readIndex(): Promise<LedgerIndex> {
    return this.serialized(async () => {
      await this.catchUp();
      return this.index;
    });
  }

  /**
   * Appends the entry durably, unless an entry with its id is already stored: then returns
   * that one. Resolves only once the record is on disk.
   */
  async append(entry: LedgerEntry): Promise<{ entry: LedgerEntry; appended: boolean }> {
    return this.serialized(async () => {
      await this.catchUp();
      const existing = this.entriesById.get(entry.id);
      if (existing) return { entry: existing, appended: false };
      await this.write(serialize(entry));
      await this.catchUp();
      return { entry: this.entriesById.get(entry.id) ?? entry, appended: true };
    });
  }

  private serialized<Value>(task: () => Promise<Value>): Promise<Value> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async write(record: Buffer): Promise<void> {
    try {
      await mkdir(this.directory, { recursive: true });
      const handle = await open(this.filePath, 'a');
      try {
        const { bytesWritten } = await handle.write(record, 0, record.length);
        if (bytesWritten !== record.length)
          throw new Error(`short write (${bytesWritten} of ${record.length} bytes)`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      if (!this.directorySynced) {
        // A new file's name must be durable too, or a crash can lose the whole ledger.
        const directoryHandle = await open(this.directory, 'r');
        try {
          await directoryHandle.sync();
        } finally {
          await directoryHandle.close();
        }
        this.directorySynced = true;
      }
    } catch (error) {
      throw new BudgetLedgerError(`Could not append to the cost ledger ${this.filePath}: ${String(error)}`, {
        cause: error,
        details: { file: this.filePath },
      });
    }
  }

  /** Reads whatever was appended (by anyone) since the last read. */
  private async catchUp(): Promise<void> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.filePath, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new BudgetLedgerError(`Could not read the cost ledger ${this.filePath}: ${String(error)}`, {
        cause: error,
        details: { file: this.filePath },
      });
    }
    try {
      const { size } = await handle.stat();
      if (size < this.consumedBytes) {
        throw new BudgetLedgerError(
          `The cost ledger ${this.filePath} shrank from ${this.consumedBytes} to ${size} bytes; it is append-only`,
          { details: { file: this.filePath } },
        );
      }
      if (size === this.consumedBytes) return;
      const fresh = Buffer.alloc(size - this.consumedBytes);
      let filled = 0;
      while (filled < fresh.length) {
        const { bytesRead } = await handle.read(
          fresh,
          filled,
          fresh.length - filled,
          this.consumedBytes + filled,
        );
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      this.consume(fresh.subarray(0, filled));
    } finally {
      await handle.close();
    }
  }

  private consume(bytes: Buffer): void {
    let start = 0;
    while (start <= bytes.length) {
      const end = bytes.indexOf(newline, start);
      const closed = end !== -1;
      const segment = bytes.subarray(start, closed ? end : bytes.length);
      if (segment.length > 0) {
        const value = parseJson(segment.toString('utf8'));
        if (value === undefined) {
          // Unclosed and unparseable: still being written, or torn; decide on a later read.
          if (!closed) return;
          // Closed off by a later record, it can only be a write torn by a crash: skip it.
        } else {
          this.accept(value, this.consumedLines + 1);
        }
      }
      if (!closed) {
        this.consumedBytes += segment.length;
        return;
      }
      this.consumedBytes += segment.length + 1;
      this.consumedLines += 1;
      start = end + 1;
    }
  }

  private accept(value: unknown, line: number): void {
    const parsed = storedEntrySchema.safeParse(value);
    if (!parsed.success) {
      const problem = parsed.error.issues[0];
      const where = problem && problem.path.length > 0 ? ` at ${problem.path.join('.')}` : '';
      throw new BudgetLedgerError(
        `${this.filePath}:${line}: not a cost ledger record${where}: ${problem?.message ?? 'invalid'}`,
        { details: { file: this.filePath, line } },
      );
    }
    const { v: _version, at, ...rest } = parsed.data;
    if (this.entriesById.has(rest.id)) return;
    const entry: LedgerEntry = { ...rest, at: new Date(at) };
    this.entries.push(entry);
    this.entriesById.set(entry.id, entry);
    this.index.all.times.push(entry.at.getTime());
    this.index.all.costsUsd.push(entry.costUsd);
    addTo(this.index.byIssue, entry.issueId, entry);
    addTo(this.index.byProfile, entry.profile === null ? null : normalizeName(entry.profile), entry);
    addTo(this.index.byFocus, entry.focus === null ? null : normalizeName(entry.focus), entry);
    this.index.issueIdentifiers.set(entry.issueId, entry.issueIdentifier);
  }
}
