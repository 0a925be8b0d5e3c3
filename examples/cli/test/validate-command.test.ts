import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, removeSandboxes, startLoompa } from './cli-fixture.js';

afterEach(removeSandboxes);

describe('loompa validate', () => {
  it('says a valid workflow is valid and exits 0', async () => {
    const sandbox = await createSandbox();
    const result = await startLoompa(['validate'], { cwd: sandbox.repository });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      `${sandbox.workflowPath} is valid: tracker markdown, scm local, agent command.`,
    );
  });

  it('prints every problem with file, line, column, YAML path and what was expected, and exits 1', async () => {
    const sandbox = await createSandbox();
    const file = path.join(sandbox.root, 'BROKEN.md');
    await writeFile(
      file,
      [
        '---',
        'tracker:',
        '  kind: markdown',
        'agent:',
        '  kind: command',
        '  max_concurrent_agents: -5',
        'polling:',
        '  interval_ms: fast',
        '---',
        'Work on {{ issue.identifier }}',
        '',
      ].join('\n'),
    );
    const result = await startLoompa(['validate', file], { cwd: sandbox.root });
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      `${file}:8:16: polling.interval_ms: expected a positive whole number, found "fast"`,
      `${file}:6:26: agent.max_concurrent_agents: expected a positive whole number, found -5`,
      `2 problems in ${file}`,
    ]);
  });

  it('checks plugin kinds and plugin sections against every plugin the CLI registers', async () => {
    const sandbox = await createSandbox();
    const file = path.join(sandbox.root, 'KINDS.md');
    await writeFile(
      file,
      ['---', 'agent:', '  kind: claud', 'tracker:', '  kind: markdown', '  id_prefix: 9x', '---', ''].join(
        '\n',
      ),
    );
    const result = await startLoompa(['validate', file, '--json'], { cwd: sandbox.root });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as { valid: boolean; problems: Array<Record<string, unknown>> };
    expect(report.valid).toBe(false);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          yamlPath: 'agent.kind',
          line: 3,
          message: 'unknown agent kind "claud"; registered kinds: claude, opencode, codex, command',
        }),
        expect.objectContaining({ yamlPath: 'tracker.id_prefix', line: 6 }),
      ]),
    );
  });

  it('reports a missing file and exits 1', async () => {
    const sandbox = await createSandbox();
    const missing = path.join(sandbox.root, 'NOPE.md');
    const result = await startLoompa(['validate', missing], { cwd: sandbox.root });
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      `${missing}: file not found (expected a readable WORKFLOW.md)`,
      `1 problem in ${missing}`,
    ]);
  });

  it('exits 2 on a usage error', async () => {
    const sandbox = await createSandbox();
    const result = await startLoompa(['validate', '--strict'], { cwd: sandbox.repository });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("error: unknown option '--strict'");
    const nothing = await startLoompa([], { cwd: sandbox.repository });
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('Usage: loompa');
    const help = await startLoompa(['run', '--help'], { cwd: sandbox.repository });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--once');
  });
});
