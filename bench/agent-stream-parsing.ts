/**
 * Parses a 50 MB recorded agent stream through each backend's parser and reports MB/s, as a
 * ratio against bare `JSON.parse` of the same lines (measured in the same run). The stream is
 * generated at run time from the recorded fixtures into a temporary directory.
 *
 *   pnpm bench bench/agent-stream-parsing.ts            # parsers only
 *   pnpm bench bench/agent-stream-parsing.ts --cli      # also one two-turn run per real CLI
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClaudeStreamParser, createClaudeAgent } from '../packages/agent-claude/src/index.js';
import { createOpenCodeAgent, OpenCodeStreamParser } from '../packages/agent-opencode/src/index.js';
import { createScriptedAnthropicServer, createScriptedOpenAIServer } from '../packages/testkit/src/index.js';
import { measureThroughput, printThroughputRatio } from './report.js';

const targetBytes = 50 * 1024 * 1024;
const fixtures = path.join(import.meta.dirname, '..', 'packages');

function buildStream(fixtureFiles: string[], file: string): number {
  const sample = fixtureFiles
    .map((fixture) => readFileSync(fixture, 'utf8').trimEnd())
    .join('\n')
    .concat('\n');
  const copies = Math.ceil(targetBytes / Buffer.byteLength(sample));
  writeFileSync(file, sample.repeat(copies));
  return Buffer.byteLength(sample) * copies;
}

const directory = mkdtempSync(path.join(os.tmpdir(), 'loompa-bench-streams-'));
try {
  const streams = [
    {
      name: 'claude',
      fixtures: ['write-file', 'resume', 'connection-refused'].map((name) =>
        path.join(fixtures, 'agent-claude/test/__fixtures__', `claude-2.1.330-${name}.jsonl`),
      ),
      createParser: () => {
        const parser = new ClaudeStreamParser(() => {});
        return (line: string) => parser.parseLine(line);
      },
    },
    {
      name: 'opencode',
      fixtures: [path.join(fixtures, 'agent-opencode/test/__fixtures__/opencode-1.18.33-write-file.jsonl')],
      createParser: () => {
        const parser = new OpenCodeStreamParser(() => {});
        return (line: string) => parser.parseLine(line);
      },
    },
  ];
  for (const stream of streams) {
    const file = path.join(directory, `${stream.name}.jsonl`);
    const bytes = buildStream(stream.fixtures, file);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    console.log(`\n${stream.name}: ${(bytes / 1024 / 1024).toFixed(1)} MB, ${lines.length} lines`);
    const baseline = measureThroughput('JSON.parse only (baseline)', lines, bytes, (line) =>
      JSON.parse(line),
    );
    const parser = measureThroughput(`${stream.name} parser`, lines, bytes, stream.createParser());
    printThroughputRatio(parser, baseline);
  }

  if (process.argv.includes('--cli')) {
    console.log('\nOne minimal two-turn run (tool call, answer) per CLI, wall time:');
    const cwd = realpathSync(mkdtempSync(path.join(directory, 'work-')));
    const script = (worktree: string) => ({
      turns: [
        {
          type: 'tool-calls' as const,
          calls: [{ action: 'write' as const, path: `${worktree}/a.txt`, content: 'a' }],
        },
        { type: 'text' as const, text: 'Done.' },
      ],
    });
    const anthropic = await createScriptedAnthropicServer(script(cwd));
    const openai = await createScriptedOpenAIServer(script(cwd));
    try {
      const env = { PATH: process.env.PATH ?? '' };
      const time = async (label: string, run: () => Promise<{ status: string }>) => {
        const start = performance.now();
        const result = await run();
        console.log(
          `${label.padEnd(28)} ${((performance.now() - start) / 1000).toFixed(2).padStart(8)} s (${result.status})`,
        );
      };
      await time('claude', () =>
        createClaudeAgent().run({
          prompt: 'write a.txt',
          cwd,
          model: 'claude-sonnet-4-5',
          env: { ...env, ANTHROPIC_BASE_URL: anthropic.url, ANTHROPIC_API_KEY: 'bench' },
        }),
      );
      await time('opencode (run)', () =>
        createOpenCodeAgent({
          model: 'scripted/m',
          provider: {
            scripted: {
              npm: '@ai-sdk/openai-compatible',
              options: { baseURL: `${openai.url}/v1`, apiKey: 'bench', timeout: 60_000 },
              models: { m: { tool_call: true } },
            },
          },
        }).run({ prompt: 'write a.txt', cwd, env }),
      );
    } finally {
      await anthropic.close();
      await openai.close();
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
