import { readdir, readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltCli, buildCliInto } from './built-cli-fixture.js';
import {
  createSandbox,
  loompaBin,
  parseJsonLines,
  removeSandboxes,
  startLoompa,
  waitForOutput,
} from './cli-fixture.js';

let built: BuiltCli;

beforeAll(async () => {
  built = await buildCliInto();
}, 120_000);
afterAll(() => built?.remove());
afterEach(removeSandboxes);

/**
 * Runs the built `loompa` with plain `node`: no TypeScript loader, no `@loompa/source`
 * condition, no NODE_OPTIONS a test runner might have set.
 */
function runBuilt(args: string[], cwd: string) {
  return execa(process.execPath, [built.binPath, ...args], {
    cwd,
    reject: false,
    env: { ...process.env, NODE_OPTIONS: '', LOOMPA_ACTOR: 'tester' },
  });
}

describe('the built loompa command', () => {
  it('is plain JavaScript that imports no TypeScript loader and no workspace source', async () => {
    const files = (await readdir(built.outDirectory)).filter((name) => name.endsWith('.js'));
    expect(files).toContain('loompa.js');
    const bin = await readFile(built.binPath, 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const everySpecifier: string[] = [];
    for (const name of files) {
      const code = await readFile(path.join(built.outDirectory, name), 'utf8');
      // The module's own imports (esbuild writes them at the start of a line, double-quoted):
      // every one is a sibling chunk of the build or a Node built-in, nothing to resolve in
      // node_modules and no TypeScript.
      const specifiers = [
        ...code.matchAll(/^import\b[^"\n]*(?:\n[^"\n]*)*?"([^"]+)";$/gm),
        ...code.matchAll(/\bimport\("(\.\/[^"]+)"\)/g),
      ].map((match) => match[1]!);
      everySpecifier.push(...specifiers);
      for (const specifier of specifiers) {
        if (isBuiltin(specifier)) continue;
        expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[\w-]+\.js$/);
        expect(files, `${name} imports ${specifier}`).toContain(specifier.slice(2));
      }
    }
    // The bin loads the program on demand, after switching on the compile cache.
    expect(everySpecifier.some((specifier) => /^\.\/main-[\w-]+\.js$/.test(specifier))).toBe(true);
    expect(everySpecifier).toContain('module');
  });

  it('prints the same help as the workspace command', async () => {
    const sandbox = await createSandbox();
    const fromBuild = await runBuilt(['--help'], sandbox.repository);
    const fromSources = await startLoompa(['--help'], { cwd: sandbox.repository });
    expect(fromBuild.exitCode).toBe(0);
    expect(fromBuild.stdout).toContain('validate [options] [workflow]');
    expect(fromBuild.stdout).toBe(fromSources.stdout);
    expect(loompaBin).not.toBe(built.binPath);
  }, 120_000);

  it('validates a workflow with every plugin, reporting problems exactly as from sources', async () => {
    const sandbox = await createSandbox({
      frontMatter: {
        budget: { limit_usd: -1, period: 'fortnight' },
        tracker: { kind: 'github', repository: 'not a repository' },
      },
    });
    const fromBuild = await runBuilt(['validate', '--json'], sandbox.repository);
    const fromSources = await startLoompa(['validate', '--json'], { cwd: sandbox.repository });
    expect(fromBuild.exitCode).toBe(1);
    const report = JSON.parse(fromBuild.stdout) as { valid: boolean; problems: Array<{ yamlPath: string }> };
    expect(report.valid).toBe(false);
    expect(report.problems.map((problem) => problem.yamlPath)).toEqual(
      expect.arrayContaining(['budget.limit_usd', 'budget.period', 'tracker.repository']),
    );
    expect(fromBuild.stdout).toBe(fromSources.stdout);
  }, 120_000);

  it('runs a task end to end with a budget over days (the time-zone calendar loaded on demand)', async () => {
    const sandbox = await createSandbox({
      tasks: [{ id: 'TASK-1', title: 'Write the result' }],
      agentScript: 'echo "working on it"\necho done > result.txt',
      frontMatter: { budget: { limit_usd: 5, period: 'day', timezone: 'Europe/Berlin' } },
    });
    const result = await runBuilt(['run', '--once', '--json'], sandbox.repository);
    expect(result.stderr).not.toContain('"level":"error"');
    expect(result.exitCode).toBe(0);
    const names = parseJsonLines(result.stdout).map((event) => event.type);
    expect(names).toContain('change-request-opened');
    expect(sandbox.git('show', 'loompa/TASK-1:result.txt')).toBe('done');
    const budget = await runBuilt(['budget', '--json'], sandbox.repository);
    expect(budget.exitCode).toBe(0);
    expect(JSON.parse(budget.stdout)).toHaveProperty('status');
  }, 120_000);

  it('serves the dashboard page and the API from the bundle (its files copied next to it)', async () => {
    const sandbox = await createSandbox({ tasks: [{ id: 'TASK-1', title: 'Show me' }] });
    const loompa = execa(process.execPath, [built.binPath, 'run', '--json', '--port', '0'], {
      cwd: sandbox.repository,
      reject: false,
      env: { ...process.env, NODE_OPTIONS: '', LOOMPA_ACTOR: 'tester' },
    });
    try {
      const logs = await waitForOutput(loompa.stderr!, (text) =>
        /Serving the Loompa dashboard at http:\/\/127\.0\.0\.1:\d+\//.test(text),
      );
      const url = /Serving the Loompa dashboard at (http:\/\/127\.0\.0\.1:\d+)\//.exec(logs)![1]!;
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('/assets/dashboard.js');
      const script = await fetch(`${url}/assets/dashboard.js`);
      expect(script.status).toBe(200);
      const state = await fetch(`${url}/api/v1/state`);
      expect(state.status).toBe(200);
    } finally {
      loompa.kill('SIGINT');
      expect((await loompa).exitCode).toBe(0);
    }
  }, 120_000);
});
