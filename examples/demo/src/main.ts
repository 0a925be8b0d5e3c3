/**
 * `pnpm demo`: the whole Loompa loop, offline, on a throwaway copy of a small sample
 * repository. `pnpm demo -- --live` uses a real model (needs ANTHROPIC_API_KEY or a Claude
 * Code login token in the environment).
 */
import { renderDemoTable } from './demo-table.js';
import { demoTasks } from './demo-tasks.js';
import { codexTaskKeyword, runDemo } from './run-demo.js';

const live = process.argv.includes('--live');
const keep = process.argv.includes('--keep');
const write = (line: string) => process.stdout.write(`${line}\n`);

/** `--agents claude,codex` (or `--agents=claude,codex`): Claude Code always; Codex takes the slugify task. */
function requestedAgents(argv: readonly string[]): string[] {
  const index = argv.findIndex((argument) => argument === '--agents' || argument.startsWith('--agents='));
  if (index === -1) return ['claude'];
  const value = argv[index]!.startsWith('--agents=')
    ? argv[index]!.slice('--agents='.length)
    : argv[index + 1];
  return (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}
const agents = requestedAgents(process.argv);
const unknownAgents = agents.filter((agent) => agent !== 'claude' && agent !== 'codex');
if (unknownAgents.length > 0 || !agents.includes('claude')) {
  process.stderr.write(
    `pnpm demo -- --agents takes claude or claude,codex (found ${agents.join(',') || 'nothing'}).\n`,
  );
  process.exit(2);
}
const useCodex = agents.includes('codex');
if (live && useCodex && !process.env.OPENAI_API_KEY && !process.env.CODEX_API_KEY) {
  process.stderr.write('pnpm demo -- --live --agents claude,codex needs OPENAI_API_KEY for Codex.\n');
  process.exit(1);
}

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
if (useCodex) {
  write(
    `Agents: the task about ${codexTaskKeyword} runs on the real Codex CLI (a \`kind: codex\` profile${live ? '' : ', scripted Responses API server on 127.0.0.1'}); the others on Claude Code.`,
  );
}
write(
  'Checks: `node --test` in a clean checkout of each head. Review: a Claude reviewer agent. Merge: automatic.\n',
);

const started = Date.now();
const run = await runDemo({
  live,
  keep,
  agents,
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
  `${merged} of ${run.results.length} tasks merged in ${((Date.now() - started) / 1000).toFixed(0)} s${live ? '' : ` (scripted model: costs are what Claude Code computes${useCodex ? ' and, for Codex, codex.prices give' : ''} for the scripted token counts)`}.`,
);
if (keep) write(`The sample repository is kept at ${run.repository}: try \`git log --oneline main\` there.`);
process.exit(run.finished && run.mainTestsPass && merged === run.results.length ? 0 : 1);
