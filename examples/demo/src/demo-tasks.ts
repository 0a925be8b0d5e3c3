import type { ModelScript, ScriptedToolAction } from '@loompa/testkit';

/** A task of the demo, with what the scripted model does for each conversation about it. */
export interface DemoTask {
  id: string;
  title: string;
  description: string;
  /** What the demo shows with this task. */
  story: string;
  /** The coding agent's first run. */
  initial: ScriptedToolAction[];
  /** When the checks failed: the fix. */
  ciFailure?: ScriptedToolAction[];
  /** When a rebase stopped on conflicts: the resolution. */
  conflict?: ScriptedToolAction[];
}

const mathWith = (...functions: string[]) =>
  ['/** Adds two numbers. */', 'export function add(a, b) {', '  return a + b;', '}', ...functions].join(
    '\n',
  ) + '\n';

const subtract = [
  '',
  '/** Subtracts b from a. */',
  'export function subtract(a, b) {',
  '  return a - b;',
  '}',
].join('\n');
const divide = [
  '',
  '/** Divides a by b; dividing by zero is an error, not Infinity. */',
  'export function divide(a, b) {',
  "  if (b === 0) throw new RangeError('cannot divide by zero');",
  '  return a / b;',
  '}',
].join('\n');

const testFile = (name: string, body: string[]) =>
  [
    "import assert from 'node:assert/strict';",
    "import { test } from 'node:test';",
    `import { ${name} } from '../src/${name === 'slugify' ? 'strings' : 'math'}.js';`,
    '',
    ...body,
    '',
  ].join('\n');

const stringsWith = (slugify: string[]) =>
  [
    '/** Makes a title shout. */',
    'export function shout(text) {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is the sample file's own template literal.
    '  return `${text.toUpperCase()}!`;',
    '}',
    '',
    ...slugify,
  ].join('\n') + '\n';

/**
 * Both conflicting tasks resolve to the same file, both functions in task order, and stage it
 * as the conflict prompt asks (the orchestrator continues the rebase).
 */
const resolvedMath: ScriptedToolAction[] = [
  { action: 'write', path: 'src/math.js', content: mathWith(subtract, divide) },
  { action: 'run', command: 'git add src/math.js', description: 'Stage the resolved file' },
];

export const demoTasks: DemoTask[] = [
  {
    id: 'TASK-1',
    title: 'Add subtract to the calculator',
    description: 'Add `subtract(a, b)` to src/math.js, with a test.',
    story: 'straight through: checks pass, the reviewer approves, it merges',
    initial: [
      { action: 'write', path: 'src/math.js', content: mathWith(subtract) },
      {
        action: 'write',
        path: 'test/subtract.test.js',
        content: testFile('subtract', [
          "test('subtract subtracts', () => {",
          '  assert.equal(subtract(5, 3), 2);',
          '});',
        ]),
      },
    ],
    conflict: resolvedMath,
  },
  {
    id: 'TASK-2',
    title: 'Add slugify to the string helpers',
    description: 'Add `slugify(text)` to src/strings.js: lowercase words joined by dashes.',
    story: 'fails its checks first, the agent fixes it from the check log',
    // The first attempt forgets to lowercase, so the new test fails.
    initial: [
      {
        action: 'write',
        path: 'src/strings.js',
        content: stringsWith([
          '/** Turns a title into a URL slug. */',
          'export function slugify(text) {',
          "  return text.trim().split(/\\s+/).join('-');",
          '}',
        ]),
      },
      {
        action: 'write',
        path: 'test/slugify.test.js',
        content: testFile('slugify', [
          "test('slugify makes lowercase dashed slugs', () => {",
          "  assert.equal(slugify('  Hello Big World '), 'hello-big-world');",
          '});',
        ]),
      },
    ],
    ciFailure: [
      {
        action: 'write',
        path: 'src/strings.js',
        content: stringsWith([
          '/** Turns a title into a URL slug. */',
          'export function slugify(text) {',
          "  return text.trim().toLowerCase().split(/\\s+/).join('-');",
          '}',
        ]),
      },
    ],
  },
  {
    id: 'TASK-3',
    title: 'Add divide to the calculator',
    description: 'Add `divide(a, b)` to src/math.js, refusing to divide by zero, with a test.',
    story: 'conflicts with TASK-1 in src/math.js; the agent resolves the rebase',
    initial: [
      { action: 'write', path: 'src/math.js', content: mathWith(divide) },
      {
        action: 'write',
        path: 'test/divide.test.js',
        content: testFile('divide', [
          "test('divide divides and refuses zero', () => {",
          '  assert.equal(divide(6, 3), 2);',
          '  assert.throws(() => divide(1, 0), RangeError);',
          '});',
        ]),
      },
    ],
    conflict: resolvedMath,
  },
];

/** Tokens each scripted answer reports, so the table shows realistic numbers. */
const usage = { inputTokens: 2_400, outputTokens: 350, cacheReadTokens: 9_000 };

/** A two-turn conversation: tool calls, then a closing answer. */
export function codingScript(actions: ScriptedToolAction[], summary: string): ModelScript {
  return {
    turns: [
      { type: 'tool-calls', text: 'Making the change.', calls: actions, usage },
      { type: 'text', text: summary, usage },
    ],
    fallbackText: summary,
  };
}

/** The reviewer reads the diff and approves. */
export const reviewerScript: ModelScript = {
  turns: [{ type: 'text', text: 'APPROVED\nFocused change with a test.', usage }],
  fallbackText: 'APPROVED',
};
