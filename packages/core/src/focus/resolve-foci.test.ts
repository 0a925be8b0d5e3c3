import { createTestIssue } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import { workflowConfigSchema } from '../workflow/workflow-schema.js';
import { builtInFoci } from './built-in-foci.js';
import { createDefaultFocusMatcher } from './default-focus-matcher.js';
import { resolveFoci } from './resolve-foci.js';

const configWith = (foci: Record<string, unknown>) => workflowConfigSchema.parse({ foci });

describe('resolveFoci', () => {
  it('is the built-in foci when the workflow has no foci section', () => {
    expect(resolveFoci(workflowConfigSchema.parse({}))).toEqual(builtInFoci);
    expect(builtInFoci.map((focus) => focus.name)).toEqual([
      'feature',
      'bug',
      'refactor',
      'frontend',
      'docs',
      'test',
      'security',
      'devops',
      'chore',
    ]);
  });

  it('overrides only the keys a workflow entry sets, keeping the rest of the built-in focus', () => {
    const builtInBug = builtInFoci.find((focus) => focus.name === 'bug')!;
    const foci = resolveFoci(
      configWith({ bug: { keywords: ['Oops', 'kaputt'], model: 'claude-opus-4', agent: 'opencode' } }),
    );
    const bug = foci.find((focus) => focus.name === 'bug');
    expect(bug).toEqual({
      ...builtInBug,
      keywords: ['oops', 'kaputt'],
      model: 'claude-opus-4',
      agentKind: 'opencode',
    });
    // Order is kept and the built-ins themselves are not modified.
    expect(foci.map((focus) => focus.name)).toEqual(builtInFoci.map((focus) => focus.name));
    expect(builtInFoci.find((focus) => focus.name === 'bug')!.keywords).toContain('crash');
  });

  it('adds new foci after the built-in ones, with empty defaults', () => {
    const foci = resolveFoci(
      configWith({
        performance: {
          role: 'performance engineer',
          keywords: ['slow', 'latency'],
          instructions: 'Profile first.',
        },
        empty: {},
      }),
    );
    expect(foci.slice(-2)).toEqual([
      {
        name: 'performance',
        role: 'performance engineer',
        instructions: 'Profile first.',
        keywords: ['slow', 'latency'],
        types: [],
        labels: [],
        model: null,
        agentKind: null,
      },
      {
        name: 'empty',
        role: 'empty',
        instructions: '',
        keywords: [],
        types: [],
        labels: [],
        model: null,
        agentKind: null,
      },
    ]);
  });

  it('lets null clear a model set earlier', () => {
    const foci = resolveFoci(configWith({ review: { model: null, agent: null } }));
    expect(foci.find((focus) => focus.name === 'review')).toMatchObject({ model: null, agentKind: null });
  });

  it('feeds the matcher: overridden and added foci are matched by their new keywords', async () => {
    const foci = resolveFoci(
      configWith({ bug: { keywords: ['kaputt'] }, performance: { keywords: ['slow'], labels: ['perf'] } }),
    );
    const matcher = createDefaultFocusMatcher();
    const name = async (title: string, labels: string[] = []) =>
      (await matcher.match({ issue: createTestIssue({ title, labels }), foci }))?.focus.name ?? null;
    expect(await name('Startup is kaputt')).toBe('bug');
    // The built-in keyword was replaced, not extended.
    expect(await name('Crash on startup')).toBeNull();
    expect(await name('Slow startup')).toBe('performance');
    expect(await name('Startup', ['perf'])).toBe('performance');
    expect(await name('Startup', ['needs:performance'])).toBe('performance');
  });
});
