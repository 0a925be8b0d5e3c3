/**
 * `pnpm demo`: the whole Loompa loop, offline, on a throwaway copy of a small sample
 * repository. `pnpm demo -- --live` uses a real model (needs ANTHROPIC_API_KEY or a Claude
 * Code login token in the environment).
 */
import { renderDemoTable } from './demo-table.js';
import { demoTasks } from './demo-tasks.js';
import { runDemo } from './run-demo.js';

const live = process.argv.includes('--live');
const keep = process.argv.includes('--keep');
const write = (line: string) => process.stdout.write(`${line}\n`);

if (
  live &&
  !process.env.ANTHROPIC_API_KEY &&
  !process.env.ANTHROPIC_AUTH_TOKEN &&
  !process.env.CLAUDE_CODE_OAUTH_TOKEN
) {
  process.stderr.write(
    'pnpm demo -- --live needs credentials for Claude Code: set ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN).\n',
  );
  process.exit(1);
}

write('Loompa demo: three markdown tasks on a throwaway copy of examples/demo/sample-repository.');
for (const task of demoTasks) write(`  ${task.id} ${task.title} — ${task.story}`);
write(
  live
    ? 'Model: LIVE. The real Claude Code CLI talks to the model behind your credentials; this costs money.'
    : 'Model: SCRIPTED. The real Claude Code CLI talks to a scripted model server on 127.0.0.1 (from @loompa/testkit):\n' +
        '  every answer is written in examples/demo/src/demo-tasks.ts; no model is called and nothing is billed.\n' +
        '  Run `pnpm demo -- --live` to use a real model.',
);
write(
  'Checks: `node --test` in a clean checkout of each head. Review: a Claude reviewer agent. Merge: automatic.\n',
);

const started = Date.now();
const run = await runDemo({
  live,
  keep,
  onProgress: (line) => write(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${line}`),
});
write('');
write(renderDemoTable(run.results));
write('');
write('main of the sample repository now:');
for (const line of run.mainHistory) write(`  ${line}`);
write(`  node --test on main: ${run.mainTestsPass ? 'pass' : 'FAIL'}`);
write('');
const merged = run.results.filter((result) => result.merged).length;
write(
  `${merged} of ${run.results.length} tasks merged in ${((Date.now() - started) / 1000).toFixed(0)} s${live ? '' : ' (scripted model: costs are what Claude Code computes for the scripted token counts)'}.`,
);
if (keep) write(`The sample repository is kept at ${run.repository}: try \`git log --oneline main\` there.`);
process.exit(run.finished && run.mainTestsPass && merged === run.results.length ? 0 : 1);
