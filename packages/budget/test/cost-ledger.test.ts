import { spawn } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LoompaError } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { createBudget } from '../src/index.js';
import { costRecord, useTemporaryDirectories } from './budget-test-helpers.js';

const temporaryDirectory = useTemporaryDirectories();
const repositoryRoot = path.resolve(import.meta.dirname, '../../..');
const appender = path.join(import.meta.dirname, 'fixtures', 'append-until-killed.ts');

/** Runs the appender until it has reported `committedTarget` ids, then SIGKILLs it. */
function appendThenKill(directory: string, prefix: string, committedTarget: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@loompa/source', '--import', 'tsx', appender, directory, prefix],
      {
        cwd: repositoryRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let errors = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (!killed && output.split('\n').length - 1 >= committedTarget) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      errors += chunk;
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`appender exited without being killed: ${errors}`));
        return;
      }
      // Only whole lines count: an id is committed once it was printed in full.
      const lines = output.split('\n');
      resolve(lines.slice(0, -1));
    });
  });
}

function storedIds(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => {
      try {
        return [(JSON.parse(line) as { id: string }).id];
      } catch {
        return [];
      }
    });
}

describe('cost ledger durability', () => {
  it('keeps every committed entry exactly once when the writer is SIGKILLed in a loop of appends', async () => {
    const directory = await temporaryDirectory();
    const committed: string[] = [];
    for (const [round, target] of [7, 31, 1, 52, 18].entries()) {
      committed.push(...(await appendThenKill(directory, `round${round}`, target)));
    }
    expect(committed.length).toBeGreaterThanOrEqual(7 + 31 + 1 + 52 + 18);

    const onDisk = storedIds(await readFile(path.join(directory, 'cost-ledger.jsonl'), 'utf8'));
    const occurrences = new Map<string, number>();
    for (const id of onDisk) occurrences.set(id, (occurrences.get(id) ?? 0) + 1);
    for (const id of committed) expect(occurrences.get(id), id).toBe(1);
    expect([...occurrences.values()].every((count) => count === 1)).toBe(true);

    const entries = await createBudget({ directory }).entries();
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    expect(entries.map((entry) => entry.id)).toEqual(expect.arrayContaining(committed));
    // At most the one append in flight at each kill can be there without having been reported.
    expect(entries.length - committed.length).toBeLessThanOrEqual(5);
    const priced = entries.find((entry) => entry.id === 'round1-3');
    expect(priced).toMatchObject({ costSource: 'price-table', costUsd: 3 * 1e-6 + 6 * 2e-6 });
  }, 120_000);

  it('ignores a record torn by a crash, at the end and once more records follow it', async () => {
    const directory = await temporaryDirectory();
    const budget = createBudget({ directory });
    await budget.record({ record: costRecord({ id: 'before', costUsd: 1 }) });
    const full = await readFile(budget.ledgerPath, 'utf8');
    // What a crash halfway through the next write leaves behind.
    await appendFile(budget.ledgerPath, full.slice(0, Math.floor(full.length / 2)));

    const afterCrash = createBudget({ directory });
    expect((await afterCrash.entries()).map((entry) => entry.id)).toEqual(['before']);
    await afterCrash.record({ record: costRecord({ id: 'after', costUsd: 2 }) });
    expect((await createBudget({ directory }).entries()).map((entry) => entry.id)).toEqual([
      'before',
      'after',
    ]);
    expect((await createBudget({ directory }).status()).spentUsd).toBe(3);
  });

  it('waits for a record that another writer has only half written, and reads it once complete', async () => {
    const directory = await temporaryDirectory();
    const writer = createBudget({ directory });
    await writer.record({ record: costRecord({ id: 'first' }) });
    const reader = createBudget({ directory });
    expect(await reader.entries()).toHaveLength(1);

    const scratch = createBudget({ directory: await temporaryDirectory() });
    await scratch.record({ record: costRecord({ id: 'second', costUsd: 4 }) });
    const record = await readFile(scratch.ledgerPath, 'utf8');
    await appendFile(writer.ledgerPath, record.slice(0, 20));
    expect((await reader.entries()).map((entry) => entry.id)).toEqual(['first']);
    await appendFile(writer.ledgerPath, record.slice(20));
    expect((await reader.entries()).map((entry) => entry.id)).toEqual(['first', 'second']);
  });

  it('lets two instances append at once without losing or mixing records', async () => {
    const directory = await temporaryDirectory();
    const left = createBudget({ directory });
    const right = createBudget({ directory });
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? left : right).record({
          record: costRecord({ id: `concurrent-${index}`, costUsd: 0.25 }),
        }),
      ),
    );
    const entries = await createBudget({ directory }).entries();
    expect(entries.map((entry) => entry.id).sort()).toEqual(
      Array.from({ length: 40 }, (_, index) => `concurrent-${index}`).sort(),
    );
    expect((await left.status()).spentUsd).toBe(10);
  });

  it('refuses a line that is whole JSON but not a ledger record, naming the file and line', async () => {
    const directory = await temporaryDirectory();
    const budget = createBudget({ directory });
    await budget.record({ record: costRecord({ id: 'good' }) });
    await appendFile(budget.ledgerPath, '\n{"v":1,"id":"bad","costUsd":"lots"}');
    const failure = await createBudget({ directory })
      .entries()
      .catch((error: unknown) => error);
    expect(LoompaError.hasCode(failure, 'budget_ledger_failed')).toBe(true);
    expect((failure as Error).message).toContain(`${budget.ledgerPath}:3: not a cost ledger record`);
  });

  it('refuses a ledger that shrank underneath it', async () => {
    const directory = await temporaryDirectory();
    const budget = createBudget({ directory });
    await budget.record({ record: costRecord({ id: 'one' }) });
    await budget.record({ record: costRecord({ id: 'two' }) });
    await writeFile(budget.ledgerPath, '');
    await expect(budget.entries()).rejects.toThrow(/shrank/);
  });
});
