// How fast the `loompa` command starts, as ratios to `node -e 0` measured in the same run
// (goal: the built command's `--help` and `validate` at most 2× a bare Node start):
// - built: `dist/loompa.js` as `pnpm build` makes it (plain JavaScript, one bundle split per
//   command, V8's compile cache on), built afresh into a temporary folder for this run;
// - sources: `examples/cli/bin/loompa.js`, the workspace command (tsx compiles the TypeScript
//   sources at start-up), which is what every start cost before the CLI was built.
// Commands: `--help`; `validate` of a workflow naming a markdown tracker, scm-local, the
// command agent and a daily budget (every plugin's schema is loaded to check it); and
// `run --once --dry-run` on an empty task folder (the orchestrator starts, ticks and stops).
// Runs are interleaved round by round so a busy machine slows every variant alike; the
// median of each is reported. The first round is a warm-up (it fills the compile cache).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildCliInto } from '../examples/cli/test/built-cli-fixture.js';
import { median, ratio } from './report.js';

const rounds = 15;
const sourceBin = fileURLToPath(new URL('../examples/cli/bin/loompa.js', import.meta.url));

/** Milliseconds one `node …` process takes from spawn to exit (output discarded). */
function timeProcess(args: string[], cwd: string): number {
  const started = performance.now();
  execFileSync(process.execPath, args, {
    cwd,
    stdio: 'ignore',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return performance.now() - started;
}

const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-bench-cli-'));
const built = await buildCliInto();
try {
  const repository = path.join(root, 'repository');
  await mkdir(path.join(repository, '.loompa', 'tasks'), { recursive: true });
  execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: repository });
  execFileSync(
    'git',
    ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '--quiet', '--allow-empty', '-m', 'start'],
    {
      cwd: repository,
    },
  );
  await writeFile(
    path.join(repository, 'WORKFLOW.md'),
    [
      '---',
      'tracker: { kind: markdown }',
      'scm: { kind: local }',
      `workspace: { root: ${JSON.stringify(path.join(root, 'workspaces'))} }`,
      'agent: { kind: command }',
      'command: { command: "true" }',
      'budget: { limit_usd: 10, period: day, timezone: Europe/Berlin }',
      '---',
      'Work on {{ issue.identifier }}.',
      '',
    ].join('\n'),
  );

  const commands: Record<string, string[]> = {
    'node -e 0': ['-e', '0'],
    'built --help': [built.binPath, '--help'],
    'built validate': [built.binPath, 'validate'],
    'built run --once --dry-run': [built.binPath, 'run', '--once', '--dry-run'],
    'sources --help': [sourceBin, '--help'],
    'sources validate': [sourceBin, 'validate'],
    'sources run --once --dry-run': [sourceBin, 'run', '--once', '--dry-run'],
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const milliseconds = timeProcess(args, repository);
      if (round > 0) times[name]!.push(milliseconds);
    }
  }

  const baseline = median(times['node -e 0']!);
  console.log(`loompa start-up, median of ${rounds} interleaved rounds (node ${process.version})`);
  console.log(`baseline node -e 0: ${baseline.toFixed(1)} ms`);
  console.log('');
  console.log('command                          median ms   × node -e 0');
  for (const name of Object.keys(commands)) {
    const value = median(times[name]!);
    console.log(
      `${name.padEnd(32)} ${value.toFixed(1).padStart(9)}   ${ratio(value, baseline).padStart(11)}`,
    );
  }
  console.log('');
  console.log('sources ÷ built (how many times faster the built command starts)');
  for (const command of ['--help', 'validate', 'run --once --dry-run']) {
    const sourcesOverBuilt = ratio(median(times[`sources ${command}`]!), median(times[`built ${command}`]!));
    console.log(`  ${command.padEnd(22)} ${sourcesOverBuilt}`);
  }
} finally {
  await built.remove();
  await rm(root, { recursive: true, force: true });
}
