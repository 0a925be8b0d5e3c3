import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorkflow, WorkflowError } from '@loompa/core';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { loompaPluginSchemas } from '../src/loompa-plugin-schemas.js';
import { loompaPlugins } from '../src/loompa-plugins.js';
import { createSandbox, removeSandboxes } from './cli-fixture.js';

afterEach(removeSandboxes);

const cliRoot = fileURLToPath(new URL('..', import.meta.url));
const hook = fileURLToPath(new URL('./forge-client-imports-hook.mjs', import.meta.url));

/** The forge client modules a fresh Node process resolves while importing `module`. */
async function forgeClientsLoadedBy(module: string): Promise<string[]> {
  const result = await execa(
    process.execPath,
    [
      '--conditions=@loompa/source',
      '--import',
      'tsx',
      '--import',
      hook,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(module)});`,
    ],
    { cwd: cliRoot },
  );
  return result.stderr.split('\n').filter((line) => line.startsWith('forge client: '));
}

const registries = ['trackers', 'scms', 'agents', 'stores'] as const;

describe("the plugins' schema entries", () => {
  it('name the same kinds with the very schemas the implementations carry', () => {
    for (const registry of registries) {
      const schemas = loompaPluginSchemas[registry];
      const implementations = loompaPlugins[registry] as Record<string, { settingsSchema?: unknown }>;
      expect(Object.keys(schemas).sort()).toEqual(Object.keys(implementations).sort());
      for (const [kind, schema] of Object.entries(schemas)) {
        expect(schema.kind).toBe(kind);
        expect(schema.settingsSchema).toBe(implementations[kind]!.settingsSchema);
      }
    }
    expect(loompaPluginSchemas.budget.settingsSchema).toBe(loompaPlugins.budget.settingsSchema);
    expect(loompaPluginSchemas.notifier.settingsSchema).toBe(loompaPlugins.notifier.settingsSchema);
  });

  it('find the same problems in a workflow as the implementations do', async () => {
    const sandbox = await createSandbox();
    const file = path.join(sandbox.root, 'FORGES.md');
    await writeFile(
      file,
      [
        '---',
        'tracker: { kind: github, repository: not-a-repository, token_variable: 1-bad }',
        'scm: { kind: gitlab, project: acme/app, rebase_timeout_ms: soon }',
        'agent: { kind: claude }',
        'claude: { max_retries: -1 }',
        'budget: { limit_usd: lots }',
        '---',
        'Work on {{ issue.identifier }}',
        '',
      ].join('\n'),
    );
    const problemsWith = (plugins: Parameters<typeof loadWorkflow>[1]) =>
      loadWorkflow(file, plugins).then(
        () => [],
        (error: unknown) => {
          expect(error).toBeInstanceOf(WorkflowError);
          return (error as WorkflowError).problems;
        },
      );
    const withSchemas = await problemsWith({ plugins: loompaPluginSchemas, environment: {} });
    expect(withSchemas.length).toBeGreaterThanOrEqual(4);
    expect(withSchemas).toEqual(await problemsWith({ plugins: loompaPlugins, environment: {} }));
  });

  it('load no forge client, where the implementations load both', { timeout: 120_000 }, async () => {
    expect(await forgeClientsLoadedBy('./src/loompa-plugin-schemas.ts')).toEqual([]);
    const loaded = (await forgeClientsLoadedBy('./src/loompa-plugins.ts')).join('\n');
    expect(loaded).toContain('@gitbeaker');
    expect(loaded).toContain('@octokit');
  });
});
