/**
 * Parses a 50 MB stream built from recorded Codex 0.171.0 output through the Codex parser and
 * reports MB/s as a ratio against bare `JSON.parse` of the same lines (measured in the same
 * run), like bench/agent-stream-parsing.ts does for Claude Code and OpenCode.
 *
 *   pnpm bench bench/codex-stream-parsing.ts            # parser only
 *   pnpm bench bench/codex-stream-parsing.ts --cli      # also one two-turn run of the real CLI
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CodexStreamParser, createCodexAgent } from '../packages/agent-codex/src/index.js';
import { createScriptedResponsesServer } from '../packages/testkit/src/index.js';
import { measureThroughput, printThroughputRatio } from './report.js';

const targetBytes = 50 * 1024 * 1024;
const fixtureDirectory = path.join(
  import.meta.dirname,
  '..',
  'packages',
  'agent-codex',
  'test',
  '__fixtures__',
);
const fixtureFiles = ['write-file', 'apply-patch', 'resume'].map((name) =>
  path.join(fixtureDirectory, `codex-0.171.0-${name}.jsonl`),
);

const directory = mkdtempSync(path.join(os.tmpdir(), 'loompa-bench-codex-'));
try {
  const sample = fixtureFiles
    .map((fixture) => readFileSync(fixture, 'utf8').trimEnd())
    .join('\n')
    .concat('\n');
  const copies = Math.ceil(targetBytes / Buffer.byteLength(sample));
  const file = path.join(directory, 'codex.jsonl');
  writeFileSync(file, sample.repeat(copies));
  const bytes = Buffer.byteLength(sample) * copies;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  console.log(`codex: ${(bytes / 1024 / 1024).toFixed(1)} MB, ${lines.length} lines`);
  const baseline = measureThroughput('JSON.parse only (baseline)', lines, bytes, (line) => JSON.parse(line));
  const parser = new CodexStreamParser(() => {});
  const parsed = measureThroughput('codex parser', lines, bytes, (line) => parser.parseLine(line));
  printThroughputRatio(parsed, baseline);

  if (process.argv.includes('--cli')) {
    console.log('\nOne minimal two-turn run (tool call, answer), wall time:');
    const cwd = realpathSync(mkdtempSync(path.join(directory, 'work-')));
    const server = await createScriptedResponsesServer({
      turns: [
        { type: 'tool-calls', calls: [{ action: 'write', path: `${cwd}/a.txt`, content: 'a' }] },
        { type: 'text', text: 'Done.' },
      ],
    });
    try {
      const start = performance.now();
      const result = await createCodexAgent({
        provider: { baseUrl: `${server.url}/v1`, envKey: 'BENCH_API_KEY' },
        maxRetries: 0,
      }).run({
        prompt: 'write a.txt',
        cwd,
        model: 'gpt-5.5',
        env: { PATH: process.env.PATH ?? '', BENCH_API_KEY: 'bench' },
      });
      const seconds = (performance.now() - start) / 1000;
      console.log(`${'codex'.padEnd(28)} ${seconds.toFixed(2).padStart(8)} s (${result.status})`);
    } finally {
      await server.close();
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
