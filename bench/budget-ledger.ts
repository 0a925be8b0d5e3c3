// How the budget's costs grow with the ledger, as ratios measured in one run:
// - a warm `check` (ledger already read) at 10k and 100k entries against 1k entries;
// - a cold `check` (a fresh instance reads the whole file) per entry, against JSON.parse alone;
// - a durable `record` (write + fdatasync) against an `appendFile` of the same line without fsync.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createBudget } from '../packages/budget/src/index.js';

const subject = {
  issueId: 'issue-0',
  issueIdentifier: 'ENG-0',
  focus: 'security',
  profile: 'opus',
  agentKind: 'claude',
  model: 'claude-sonnet-4-5',
};
const settings = {
  limit_usd: 1_000_000,
  period: 'day' as const,
  timezone: 'Europe/Paris',
  per_issue_usd: 1_000_000,
  per_profile_usd: { opus: 1_000_000 },
  per_focus_usd: { security: 1_000_000 },
};

async function ledgerWith(entryCount: number): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-budget-bench-'));
  const lines: string[] = [];
  const start = Date.UTC(2025, 0, 1);
  for (let index = 0; index < entryCount; index += 1) {
    lines.push(
      JSON.stringify({
        v: 1,
        id: `entry-${index}`,
        at: new Date(start + index * 60_000).toISOString(),
        issueId: `issue-${index % 500}`,
        issueIdentifier: `ENG-${index % 500}`,
        activity: 'run',
        focus: index % 3 === 0 ? 'security' : null,
        profile: index % 2 === 0 ? 'opus' : 'fast',
        agentKind: 'claude',
        model: 'claude-sonnet-4-5',
        usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 5000, cacheWriteTokens: 100 },
        costUsd: 0.01,
        costSource: 'agent',
      }),
    );
  }
  await writeFile(path.join(directory, 'cost-ledger.jsonl'), `\n${lines.join('\n')}`);
  return directory;
}

async function timePerCall(repetitions: number, call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < repetitions; index += 1) await call();
  return (performance.now() - started) / repetitions;
}

const at = new Date('2025-03-01T12:00:00Z');
const warm = new Map<number, number>();
const cold = new Map<number, number>();
const parseOnly = new Map<number, number>();
const directories: string[] = [];
for (const entryCount of [1_000, 10_000, 100_000]) {
  const directory = await ledgerWith(entryCount);
  directories.push(directory);
  const text = await readFile(path.join(directory, 'cost-ledger.jsonl'), 'utf8');
  parseOnly.set(
    entryCount,
    await timePerCall(3, async () => {
      for (const line of text.split('\n')) if (line) JSON.parse(line);
    }),
  );
  cold.set(
    entryCount,
    await timePerCall(3, () => createBudget({ directory, ...settings }).check({ subject, at })),
  );
  const budget = createBudget({ directory, ...settings });
  await budget.check({ subject, at });
  warm.set(
    entryCount,
    await timePerCall(entryCount >= 100_000 ? 20 : 100, () => budget.check({ subject, at })),
  );
}

const durableDirectory = await mkdtemp(path.join(os.tmpdir(), 'loompa-budget-bench-'));
directories.push(durableDirectory);
const durable = createBudget({ directory: durableDirectory });
const record = {
  at,
  issueId: 'issue-1',
  issueIdentifier: 'ENG-1',
  activity: 'run' as const,
  focus: null,
  profile: null,
  agentKind: 'claude',
  model: 'claude-sonnet-4-5',
  usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costUsd: 0.01,
};
const recordMs = await timePerCall(200, () => durable.record({ record }));
const plainFile = path.join(durableDirectory, 'plain.jsonl');
const line = `\n${JSON.stringify({ v: 1, id: 'x', ...record })}`;
const appendMs = await timePerCall(200, () => appendFile(plainFile, line));

const ratio = (value: number) => value.toFixed(1);
console.log('budget ledger benchmark (ratios within this run)');
for (const entryCount of [10_000, 100_000]) {
  console.log(
    `warm check, ${entryCount} entries vs 1000: ${ratio(warm.get(entryCount)! / warm.get(1_000)!)}x` +
      ` (entries ×${entryCount / 1_000})`,
  );
}
for (const entryCount of [1_000, 10_000, 100_000]) {
  console.log(
    `cold check (read + parse + validate), ${entryCount} entries vs JSON.parse alone: ` +
      `${ratio(cold.get(entryCount)! / parseOnly.get(entryCount)!)}x`,
  );
}
console.log(`durable record (write + fdatasync) vs appendFile without fsync: ${ratio(recordMs / appendMs)}x`);
console.log(
  `absolute, this machine only: warm check at 100k ${warm.get(100_000)!.toFixed(2)} ms, ` +
    `cold check at 100k ${cold.get(100_000)!.toFixed(0)} ms, record ${recordMs.toFixed(2)} ms`,
);
await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
