import type { Focus } from '../specifications/focus.js';

type BuiltInFocus = Pick<Focus, 'name' | 'role' | 'instructions' | 'keywords' | 'types' | 'labels'>;

/**
 * The foci every workflow starts with. Keywords are whole words matched in the title and
 * description; a workflow's `foci:` entries add to or override these by name.
 */
const builtInFocusDefinitions: BuiltInFocus[] = [
  {
    name: 'feature',
    role: 'feature developer',
    instructions:
      'Implement the requested behaviour end to end, following the conventions already in the codebase, with tests for the new behaviour.',
    keywords: ['add', 'implement', 'support', 'feature', 'new', 'introduce', 'allow', 'enable'],
    types: ['feature', 'enhancement', 'story'],
    labels: ['feature', 'enhancement'],
  },
  {
    name: 'bug',
    role: 'bug investigator',
    instructions:
      'Reproduce the bug first (ideally as a failing test), find the root cause rather than the symptom, fix it, and keep the test.',
    keywords: [
      'bug',
      'fix',
      'crash',
      'error',
      'broken',
      'fails',
      'failing',
      'regression',
      'exception',
      'wrong',
    ],
    types: ['bug', 'defect'],
    labels: ['bug', 'defect', 'regression'],
  },
  {
    name: 'refactor',
    role: 'refactoring engineer',
    instructions:
      'Change the structure without changing behaviour; keep every existing test passing and make each step small and reviewable.',
    keywords: ['refactor', 'cleanup', 'restructure', 'simplify', 'rename', 'extract', 'deduplicate'],
    types: ['refactor'],
    labels: ['refactor', 'tech-debt'],
  },
  {
    name: 'frontend',
    role: 'frontend engineer',
    instructions:
      'Keep the interface accessible and consistent with the existing components; check the change renders and behaves in the browser.',
    keywords: [
      'ui',
      'css',
      'frontend',
      'component',
      'layout',
      'button',
      'page',
      'react',
      'style',
      'responsive',
    ],
    types: ['frontend', 'ui'],
    labels: ['frontend', 'ui', 'ux'],
  },
  {
    name: 'docs',
    role: 'technical writer',
    instructions:
      'Write for the reader who arrives without context: accurate, concise, with examples that run. Check every command you document.',
    keywords: ['docs', 'documentation', 'readme', 'guide', 'typo', 'tutorial', 'document'],
    types: ['docs', 'documentation'],
    labels: ['docs', 'documentation'],
  },
  {
    name: 'test',
    role: 'test engineer',
    instructions:
      'Write tests that fail for the right reason and exercise real behaviour; avoid mocking the thing under test; cover edge cases.',
    keywords: ['test', 'tests', 'coverage', 'flaky', 'testing', 'spec'],
    types: ['test'],
    labels: ['test', 'tests', 'testing'],
  },
  {
    name: 'security',
    role: 'security auditor',
    instructions:
      'Treat all input as hostile; fix the vulnerability class, not only the reported instance; never log secrets; add a regression test.',
    keywords: [
      'security',
      'vulnerability',
      'cve',
      'xss',
      'injection',
      'csrf',
      'auth',
      'secret',
      'leak',
      'exploit',
    ],
    types: ['security', 'vulnerability'],
    labels: ['security', 'vulnerability'],
  },
  {
    name: 'devops',
    role: 'devops engineer',
    instructions:
      'Keep pipelines reproducible and fast; pin versions; make failures loud and explain every configuration change.',
    keywords: [
      'ci',
      'pipeline',
      'deploy',
      'docker',
      'build',
      'infrastructure',
      'kubernetes',
      'terraform',
      'workflow',
    ],
    types: ['devops', 'infrastructure'],
    labels: ['devops', 'ci', 'infrastructure'],
  },
  {
    name: 'chore',
    role: 'maintainer',
    instructions: 'Make the routine change precisely, touching nothing beyond what it needs.',
    keywords: ['chore', 'bump', 'upgrade', 'dependency', 'dependencies', 'update', 'version'],
    types: ['chore', 'maintenance'],
    labels: ['chore', 'dependencies', 'maintenance'],
  },
];

export const builtInFoci: readonly Focus[] = builtInFocusDefinitions.map((focus) => ({
  ...focus,
  model: null,
  agentKind: null,
}));

/** The focus used when no other matches. */
export const generalFocus: Focus = {
  name: 'general',
  role: 'software engineer',
  instructions: '',
  keywords: [],
  types: [],
  labels: [],
  model: null,
  agentKind: null,
};
