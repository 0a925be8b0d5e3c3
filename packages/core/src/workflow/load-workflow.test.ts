import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { WorkflowError } from '../errors/error-classes.js';
import { LoompaError } from '../errors/loompa-error.js';
import { redactSecrets } from '../secrets/redact-secrets.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';
import type { BudgetV1 } from '../specifications/budget.js';
import type { PluginDefinition } from '../specifications/plugin.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import { type LoadWorkflowOptions, loadWorkflow, parseWorkflow } from './load-workflow.js';
import { defaultPromptTemplate } from './prompt-template.js';

let directory: string;
let workflowPath: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-load-workflow-'));
  workflowPath = path.join(directory, 'WORKFLOW.md');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(directory, { recursive: true, force: true });
});

/** Writes WORKFLOW.md and loads it with an explicit, empty-by-default environment. */
async function load(text: string, options: LoadWorkflowOptions = {}) {
  await writeFile(workflowPath, text);
  return loadWorkflow(workflowPath, { environment: {}, ...options });
}

/** Loads a WORKFLOW.md that must fail and returns the WorkflowError. */
async function loadError(text: string, options: LoadWorkflowOptions = {}): Promise<WorkflowError> {
  const error = await load(text, options).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WorkflowError);
  return error as WorkflowError;
}

/** A plugin definition whose only job is its settings schema (creation is never reached here). */
function definition<Slot>(settingsSchema: z.ZodType): PluginDefinition<Slot> {
  return {
    settingsSchema,
    create: () => {
      throw new Error('loadWorkflow must not create plugins');
    },
  };
}

const trackerSettingsSchema = z.object({
  kind: z.string(),
  token: z.string().min(1),
  owner: z.string(),
  per_page: z.number().int().min(1).default(50),
});

describe('loadWorkflow: parsing', () => {
  it('reads the front matter, the Liquid body and where the body starts', async () => {
    const text = [
      '---',
      'tracker:',
      '  kind: markdown',
      '  active_states: [Todo, "In Review "]',
      'polling:',
      '  interval_ms: 5000',
      'agent:',
      '  model: claude-sonnet',
      '  max_concurrent_agents_by_state:',
      '    " In Progress": 2',
      '---',
      'Work on {{ issue.identifier }}.',
      '',
    ].join('\n');
    const workflow = await load(text);

    expect(workflow.filePath).toBe(workflowPath);
    expect(workflow.directory).toBe(directory);
    expect(workflow.config.tracker.kind).toBe('markdown');
    expect(workflow.config.tracker.active_states).toEqual(['todo', 'in review']);
    expect(workflow.config.polling.interval_ms).toBe(5000);
    expect(workflow.config.agent.model).toBe('claude-sonnet');
    expect(workflow.config.agent.max_concurrent_agents_by_state).toEqual({ 'in progress': 2 });
    expect(workflow.promptTemplate).toBe('Work on {{ issue.identifier }}.\n');
    expect(workflow.promptLineOffset).toBe(11);
    expect(workflow.contentHash).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('treats a file without front matter as a prompt with every default', async () => {
    const workflow = await load('Fix {{ issue.title }} carefully.\n');
    expect(workflow.promptTemplate).toBe('Fix {{ issue.title }} carefully.\n');
    expect(workflow.promptLineOffset).toBe(0);
    expect(workflow.config.polling.interval_ms).toBe(30_000);
  });

  it('reads Windows line endings like Unix ones', async () => {
    const workflow = await load('---\r\npolling:\r\n  interval_ms: 2000\r\n---\r\nBody\r\n');
    expect(workflow.config.polling.interval_ms).toBe(2000);
    expect(workflow.promptLineOffset).toBe(4);
  });

  it('accepts numbers and booleans written as strings and lists written as "a, b"', async () => {
    const workflow = await load(
      [
        '---',
        'polling: { interval_ms: "1500" }',
        'scm: { auto_merge: "true" }',
        'tracker: { required_labels: "Agent, Ready " }',
        'reactions: { review: { reviewers: "alice, bob" } }',
        '---',
      ].join('\n'),
    );
    expect(workflow.config.polling.interval_ms).toBe(1500);
    expect(workflow.config.scm.auto_merge).toBe(true);
    expect(workflow.config.tracker.required_labels).toEqual(['agent', 'ready']);
    expect(workflow.config.reactions.review.reviewers).toEqual(['alice', 'bob']);
  });

  it('ignores unknown top-level keys', async () => {
    const workflow = await load('---\nmystery_section:\n  anything: [1, 2]\nstray: 3\n---\nBody\n');
    expect(workflow.config).not.toHaveProperty('mystery_section');
    expect(workflow.config).not.toHaveProperty('stray');
  });

  it('treats a section written with nothing under it as all defaults', async () => {
    const workflow = await load('---\npolling:\nhooks:\n---\n');
    expect(workflow.config.polling.interval_ms).toBe(30_000);
    expect(workflow.config.hooks.timeout_ms).toBe(60_000);
  });
});

describe('loadWorkflow: defaults (DESIGN.md §5, Symphony where it has one)', () => {
  it('fills every core setting of an empty front matter', async () => {
    const workflow = await load('---\n---\n');
    expect(workflow.config).toEqual({
      tracker: {
        kind: 'markdown',
        active_states: ['todo', 'in progress'],
        terminal_states: ['done', 'cancelled'],
        required_labels: [],
        assignee: null,
        review_state: null,
        done_state: null,
        needs_human_label: 'loompa:needs-human',
        claim_lease_ms: 600_000,
      },
      scm: {
        kind: 'local',
        base_branch: null,
        auto_merge: false,
        merge_method: 'rebase',
        author_name: 'loompa',
        author_email: 'loompa@localhost',
        commit_message: '{{ issue.identifier }}: {{ issue.title }}',
        sign_off: false,
        required_checks: null,
        required_approvals: null,
        checks_settle_ms: null,
        babysit: [],
        babysit_label: null,
        allow_merge_without_checks: false,
      },
      repository: { path: directory, url: null },
      workspace: {
        root: path.join(os.tmpdir(), 'loompa_workspaces'),
        branch_prefix: 'loompa/',
        state_directory: path.join(directory, '.loompa', 'state'),
      },
      hooks: {
        after_create: null,
        before_run: null,
        after_run: null,
        before_remove: null,
        timeout_ms: 60_000,
      },
      polling: { interval_ms: 30_000 },
      agent: {
        kind: 'claude',
        model: null,
        max_concurrent_agents: 10,
        max_concurrent_agents_by_state: {},
        max_turns: 20,
        max_attempts: 5,
        max_retry_backoff_ms: 300_000,
        continuation_delay_ms: 1_000,
        stall_timeout_ms: 300_000,
        turn_timeout_ms: 3_600_000,
        env: {},
        pass_environment: [],
        profiles: [],
        escalation: [],
      },
      foci: {},
      reactions: {
        ci: { enabled: true, max_attempts: 3, log_tail_bytes: 20_000 },
        review: { enabled: true, max_attempts: 3, reviewers: [] },
        conflict: { enabled: true, max_attempts: 2 },
      },
      ci: { classify_failures: true, rerun_once: true, flaky_issue_after: 3, flaky_labels: ['flaky-test'] },
      triage: {
        workflows: [],
        labels: ['ci-triage'],
        agent: null,
        log_tail_bytes: 20_000,
        interval_ms: 300_000,
        runs_per_check: 5,
      },
      server: { api_token: null },
      fleet: {},
      store: { kind: 'file', lease_ms: 15_000 },
      budget: {},
      notifications: {},
    });
    expect(workflow.repositoryPath).toBe(directory);
    expect(workflow.promptTemplate).toBe(defaultPromptTemplate);
    expect(workflow.pluginSettings).toEqual({
      tracker: {},
      scm: {},
      store: {},
      budget: {},
      notifications: {},
      agents: { claude: {} },
    });
  });

  it('fills the defaults of a profile and keeps a section default next to set keys', async () => {
    const workflow = await load(
      '---\nagent:\n  max_turns: 7\n  profiles:\n    - name: cheap\n      model: haiku\n---\n',
    );
    expect(workflow.config.agent.max_turns).toBe(7);
    expect(workflow.config.agent.max_concurrent_agents).toBe(10);
    expect(workflow.config.agent.profiles).toEqual([
      {
        name: 'cheap',
        kind: null,
        model: 'haiku',
        types: [],
        keywords: [],
        priority_min: null,
        priority_max: null,
      },
    ]);
  });

  it('uses no local repository path when only repository.url is given', async () => {
    const workflow = await load('---\nrepository:\n  url: https://example.invalid/acme/app.git\n---\n');
    expect(workflow.repositoryPath).toBeNull();
    expect(workflow.config.repository).toEqual({ path: null, url: 'https://example.invalid/acme/app.git' });
  });
});

describe('loadWorkflow: $NAME environment indirection', () => {
  it('reads a value written exactly $NAME from the environment', async () => {
    const workflow = await load(
      '---\nagent:\n  model: $LOOMPA_MODEL\npolling:\n  interval_ms: $LOOMPA_POLL\nscm:\n  auto_merge: $LOOMPA_MERGE\n---\n',
      { environment: { LOOMPA_MODEL: 'opus', LOOMPA_POLL: '4500', LOOMPA_MERGE: 'true' } },
    );
    expect(workflow.config.agent.model).toBe('opus');
    expect(workflow.config.polling.interval_ms).toBe(4500);
    expect(workflow.config.scm.auto_merge).toBe(true);
  });

  it('reads process.env when no environment is given', async () => {
    vi.stubEnv('LOOMPA_TEST_PROCESS_MODEL', 'sonnet');
    await writeFile(workflowPath, '---\nagent:\n  model: $LOOMPA_TEST_PROCESS_MODEL\n---\n');
    const workflow = await loadWorkflow(workflowPath);
    expect(workflow.config.agent.model).toBe('sonnet');
  });

  it('treats an empty or unset variable as a missing setting, so its default applies', async () => {
    const workflow = await load(
      '---\nagent:\n  model: $LOOMPA_EMPTY\npolling:\n  interval_ms: $LOOMPA_UNSET\n---\n',
      { environment: { LOOMPA_EMPTY: '' } },
    );
    expect(workflow.config.agent.model).toBeNull();
    expect(workflow.config.polling.interval_ms).toBe(30_000);
  });

  it('names the variable when a required setting reads an unset one', async () => {
    const error = await loadError('---\nagent:\n  profiles:\n    - name: $LOOMPA_PROFILE\n---\n');
    expect(error.problems).toEqual([
      {
        yamlPath: 'agent.profiles[0].name',
        line: 4,
        column: 13,
        expected: 'a string',
        found: '$LOOMPA_PROFILE (empty or not set)',
        message: 'expected a string, but environment variable LOOMPA_PROFILE is empty or not set',
      },
    ]);
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:4:13: agent.profiles[0].name: expected a string, but environment variable LOOMPA_PROFILE is empty or not set`,
    );
  });

  it('names the variable when a plugin requires the setting (an unset token)', async () => {
    const error = await loadError(
      '---\ntracker:\n  kind: github\n  token: $GITHUB_TOKEN\n  owner: acme\n---\n',
      {
        plugins: { trackers: { github: definition<TrackerV1>(trackerSettingsSchema) } },
      },
    );
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:4:10: tracker.token: expected a string, but environment variable GITHUB_TOKEN is empty or not set`,
    );
  });

  it('leaves $NAME inside a longer value alone (only whole values are indirections)', async () => {
    const workflow = await load(
      '---\nagent:\n  model: prefix-$LOOMPA_MODEL\nhooks:\n  after_create: "echo $HOME ~"\n---\n',
      { environment: { LOOMPA_MODEL: 'opus', HOME: '/home/someone' } },
    );
    expect(workflow.config.agent.model).toBe('prefix-$LOOMPA_MODEL');
    expect(workflow.config.hooks.after_create).toBe('echo $HOME ~');
  });

  it('registers a token read from the environment for redaction', async () => {
    const token = 'an-opaque-forge-credential-7731';
    await load('---\ntracker:\n  kind: github\n  token: $FORGE_TOKEN\n---\n', {
      environment: { FORGE_TOKEN: token },
    });
    expect(redactSecrets(`pushing with ${token}`)).toBe('pushing with [REDACTED]');
  });

  it('registers a token written into the file, but not a number under a token-like key', async () => {
    const token = 'literal-credential-in-file-5523';
    await load(`---\ntracker:\n  api_key: ${token}\nagent:\n  max_tokens: "654321"\n---\n`);
    expect(redactSecrets(`key ${token}`)).toBe('key [REDACTED]');
    expect(redactSecrets('654321 tokens used')).toBe('654321 tokens used');
  });
});

describe('loadWorkflow: path settings', () => {
  it('expands ~ and $NAME in path values and resolves relative paths against the WORKFLOW.md folder', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is the workflow syntax under test.
    const bracedVariable = '${LOOMPA_STATE}';
    const workflow = await load(
      `---\nrepository:\n  path: ~/src/app\nworkspace:\n  root: $LOOMPA_DATA/trees\n  state_directory: ${bracedVariable}/state\n---\n`,
      { environment: { LOOMPA_DATA: '/srv/loompa', LOOMPA_STATE: 'relative' } },
    );
    expect(workflow.config.repository.path).toBe(path.join(os.homedir(), 'src', 'app'));
    expect(workflow.repositoryPath).toBe(path.join(os.homedir(), 'src', 'app'));
    expect(workflow.config.workspace.root).toBe('/srv/loompa/trees');
    expect(workflow.config.workspace.state_directory).toBe(path.join(directory, 'relative', 'state'));
  });

  it('resolves relative paths against the WORKFLOW.md folder, not the working directory', async () => {
    const nested = path.join(directory, 'config');
    await mkdir(nested);
    const nestedWorkflow = path.join(nested, 'WORKFLOW.md');
    await writeFile(
      nestedWorkflow,
      '---\nrepository:\n  path: ../checkout\nworkspace:\n  root: trees\n---\n',
    );
    const workflow = await loadWorkflow(path.relative(process.cwd(), nestedWorkflow), { environment: {} });
    expect(workflow.filePath).toBe(nestedWorkflow);
    expect(workflow.repositoryPath).toBe(path.join(directory, 'checkout'));
    expect(workflow.config.workspace.root).toBe(path.join(nested, 'trees'));
  });

  it('does not expand ~ or $NAME in values that are not paths', async () => {
    const workflow = await load(
      '---\ntracker:\n  assignee: ~/me\n  review_state: $REVIEW_STATE-x\nworkspace:\n  branch_prefix: ~agents/\n---\n',
      { environment: { REVIEW_STATE: 'review' } },
    );
    expect(workflow.config.tracker.assignee).toBe('~/me');
    expect(workflow.config.tracker.review_state).toBe('$REVIEW_STATE-x');
    expect(workflow.config.workspace.branch_prefix).toBe('~agents/');
  });

  it('reports a path whose variable is unset, naming the variable', async () => {
    const error = await loadError('---\nworkspace:\n  root: $LOOMPA_DATA/trees\n---\n');
    expect(error.problems).toEqual([
      {
        yamlPath: 'workspace.root',
        line: 3,
        column: 9,
        expected: 'a path whose environment variables are set',
        found: '"$LOOMPA_DATA/trees" with $LOOMPA_DATA empty or not set',
        message: 'path "$LOOMPA_DATA/trees" uses environment variable LOOMPA_DATA, which is empty or not set',
      },
    ]);
  });
});

describe('loadWorkflow: errors a user sees', () => {
  it('rejects front matter that is a YAML list', async () => {
    const error = await loadError('---\n- tracker\n- agent\n---\nBody\n');
    expect(error.code).toBe('workflow_invalid');
    expect(error.file).toBe(workflowPath);
    expect(error.problems).toEqual([
      {
        yamlPath: '',
        line: 2,
        column: 1,
        expected: 'a mapping of settings',
        found: 'a list',
        message: 'front matter must be a mapping of settings, found a list',
      },
    ]);
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:2:1: front matter must be a mapping of settings, found a list`,
    );
  });

  it('rejects front matter that is a plain string', async () => {
    const error = await loadError('---\njust some words\n---\n');
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:2:1: front matter must be a mapping of settings, found a string`,
    );
  });

  it('reports bad YAML with its line, column and the offending line', async () => {
    const error = await loadError('---\ntracker:\n  kind: markdown\n   extra: x\n---\n');
    expect(error.problems[0]).toEqual({
      yamlPath: '',
      line: 3,
      column: 9,
      expected: 'valid YAML front matter',
      found: '"kind: markdown"',
      message: 'invalid YAML: Nested mappings are not allowed in compact mappings',
    });
    expect(error.message.split('\n')[0]).toBe(
      `Invalid workflow (2 problems): ${workflowPath}:3:9: invalid YAML: Nested mappings are not allowed in compact mappings`,
    );
  });

  it('reports a duplicated key where the duplicate is written', async () => {
    const error = await loadError('---\npolling:\n  interval_ms: 1000\npolling:\n  interval_ms: 2000\n---\n');
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:4:1: invalid YAML: Map keys must be unique`,
    );
    expect(error.problems[0]!.found).toBe('"polling:"');
  });

  it('reports front matter that is never closed', async () => {
    const error = await loadError('---\npolling:\n  interval_ms: 1000\nWork on the issue.\n');
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:1:1: the front matter opened on line 1 is never closed by a line "---"`,
    );
    expect(error.problems[0]).toMatchObject({
      expected: 'a line "---" closing the front matter',
      found: 'the end of the file',
    });
  });

  it('reports a missing file, keeping the system error as the cause', async () => {
    const missing = path.join(directory, 'nowhere', 'WORKFLOW.md');
    const error = await loadWorkflow(missing).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(WorkflowError);
    expect(LoompaError.hasCode(error, 'workflow_invalid')).toBe(true);
    const workflowError = error as WorkflowError;
    expect(workflowError.message).toBe(`Invalid workflow: ${missing}: file not found`);
    expect(workflowError.problems[0]).toEqual({
      yamlPath: '',
      line: null,
      column: null,
      expected: 'a readable WORKFLOW.md',
      found: 'file not found',
      message: 'file not found',
    });
    expect((workflowError.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('reports a folder given in place of the file', async () => {
    const error = await loadWorkflow(directory).then(
      () => null,
      (thrown: unknown) => thrown as WorkflowError,
    );
    expect(error?.message).toBe(`Invalid workflow: ${directory}: cannot read file (EISDIR)`);
  });

  it('reports a wrong type with the YAML path, position, expected and found', async () => {
    const error = await loadError('---\nagent:\n  max_concurrent_agents: lots\n---\n');
    expect(error.problems).toEqual([
      {
        yamlPath: 'agent.max_concurrent_agents',
        line: 3,
        column: 26,
        expected: 'a positive whole number',
        found: '"lots"',
        message: 'expected a positive whole number, found "lots"',
      },
    ]);
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:3:26: agent.max_concurrent_agents: expected a positive whole number, found "lots"`,
    );
  });

  it('reports a section that is not a mapping', async () => {
    const error = await loadError('---\nagent: 5\n---\n');
    expect(error.message).toBe(`Invalid workflow: ${workflowPath}:2:8: agent: expected a mapping, found 5`);
  });

  it('reports a negative interval', async () => {
    const error = await loadError('---\npolling:\n  interval_ms: -5\n---\n');
    expect(error.problems).toEqual([
      {
        yamlPath: 'polling.interval_ms',
        line: 3,
        column: 16,
        expected: 'a positive whole number',
        found: '-5',
        message: 'expected a positive whole number, found -5',
      },
    ]);
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:3:16: polling.interval_ms: expected a positive whole number, found -5`,
    );
  });

  it('reports a fraction where a whole number is expected, and a value outside an enumeration', async () => {
    const error = await loadError('---\nagent:\n  max_turns: 2.5\nscm:\n  merge_method: fast\n---\n');
    expect(error.message).toBe(
      [
        `Invalid workflow (2 problems): ${workflowPath}:5:17: scm.merge_method: expected one of "merge", "squash", "rebase", found "fast"`,
        `${workflowPath}:3:14: agent.max_turns: expected a positive whole number, found 2.5`,
      ].join('\n'),
    );
  });

  it('points a missing required key at the entry that lacks it', async () => {
    const error = await loadError('---\nagent:\n  profiles:\n    - model: haiku\n---\n');
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:4:7: agent.profiles[0].name: required: expected a string`,
    );
  });

  it('reports a mistyped secret-named plugin setting without its value', async () => {
    const schema = z.object({
      kind: z.string(),
      token: z.string().regex(/^ghp_/, 'a token starting with ghp_'),
    });
    const error = await loadError('---\ntracker:\n  kind: github\n  token: opaque-credential-8841\n---\n', {
      plugins: { trackers: { github: definition<TrackerV1>(schema) } },
    });
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:4:10: tracker.token: expected a token starting with ghp_, found a string ([REDACTED])`,
    );
    expect(JSON.stringify(error.details)).not.toContain('opaque-credential-8841');
  });

  it('reports a prompt template syntax error at its line in the file', async () => {
    const error = await loadError(
      '---\npolling:\n  interval_ms: 1000\n---\nFirst line\n{% if issue.title %}\nunclosed\n',
    );
    expect(error.problems).toEqual([
      {
        yamlPath: '',
        line: 6,
        column: 1,
        expected: 'a valid Liquid template',
        found: 'tag {% if issue.title %} not closed',
        message: 'prompt template: tag {% if issue.title %} not closed',
      },
    ]);
  });

  it('names an unknown profile in the escalation and lists the defined ones', async () => {
    const error = await loadError(
      '---\nagent:\n  profiles:\n    - name: cheap\n    - name: strong\n  escalation: [cheap, expensive]\n---\n',
    );
    expect(error.problems).toEqual([
      {
        yamlPath: 'agent.escalation[1]',
        line: 6,
        column: 23,
        expected: 'a profile name (cheap, strong)',
        found: '"expensive"',
        message: 'unknown profile "expensive" in escalation; profiles: cheap, strong',
      },
    ]);
  });

  it('reports duplicate profile names and an inverted priority range', async () => {
    const error = await loadError(
      '---\nagent:\n  profiles:\n    - name: a\n      priority_min: 3\n      priority_max: 1\n    - name: a\n---\n',
    );
    expect(error.message).toBe(
      [
        `Invalid workflow (2 problems): ${workflowPath}:6:21: agent.profiles[0].priority_max: expected a number >= priority_min (3), found 1`,
        `${workflowPath}:7:13: agent.profiles[1].name: duplicate profile name "a"`,
      ].join('\n'),
    );
  });
});

describe('loadWorkflow: plugins', () => {
  const noopTracker = definition<TrackerV1>(z.looseObject({}));

  it('names an unknown tracker kind and lists the registered kinds', async () => {
    const error = await loadError('---\ntracker:\n  kind: jira\n---\n', {
      plugins: { trackers: { github: noopTracker, markdown: noopTracker } },
    });
    expect(error.problems).toEqual([
      {
        yamlPath: 'tracker.kind',
        line: 3,
        column: 9,
        expected: 'a registered tracker kind (github, markdown)',
        found: '"jira"',
        message: 'unknown tracker kind "jira"; registered kinds: github, markdown',
      },
    ]);
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:3:9: tracker.kind: unknown tracker kind "jira"; registered kinds: github, markdown`,
    );
  });

  it('checks the default kind too, and says when no kind is registered', async () => {
    const error = await loadError('---\n---\n', { plugins: { scms: {} } });
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}: scm.kind: unknown scm kind "local"; registered kinds: none registered`,
    );
  });

  it('checks agent kinds named by agent.kind, profiles and foci', async () => {
    const claude = definition<AgentBackendV1>(z.looseObject({}));
    const error = await loadError(
      '---\nagent:\n  kind: claude\n  profiles:\n    - name: p\n      kind: codex\nfoci:\n  bug:\n    agent: aider\n---\n',
      { plugins: { agents: { claude } } },
    );
    expect(error.message).toBe(
      [
        `Invalid workflow (2 problems): ${workflowPath}:6:13: agent.profiles[0].kind: unknown agent kind "codex"; registered kinds: claude`,
        `${workflowPath}:9:12: foci.bug.agent: unknown agent kind "aider"; registered kinds: claude`,
      ].join('\n'),
    );
  });

  it('accepts any kind when no registry for that slot is given', async () => {
    const workflow = await load('---\ntracker:\n  kind: anything\n---\n', { plugins: {} });
    expect(workflow.config.tracker.kind).toBe('anything');
  });

  it('validates a plugin section with the plugin schema and reports YAML paths', async () => {
    const error = await loadError(
      '---\ntracker:\n  kind: github\n  token: $GITHUB_TOKEN\n  owner: 5\n  per_page: 0\n---\n',
      {
        environment: { GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' },
        plugins: { trackers: { github: definition<TrackerV1>(trackerSettingsSchema) } },
      },
    );
    expect(error.problems).toEqual([
      {
        yamlPath: 'tracker.owner',
        line: 5,
        column: 10,
        expected: 'a string',
        found: '5',
        message: 'expected a string, found 5',
      },
      {
        yamlPath: 'tracker.per_page',
        line: 6,
        column: 13,
        expected: 'a number >= 1',
        found: '0',
        message: 'expected a number >= 1, found 0',
      },
    ]);
  });

  it('returns the settings each plugin parsed, with the plugin defaults', async () => {
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const workflow = await load(
      [
        '---',
        'tracker:',
        '  kind: github',
        '  token: $GITHUB_TOKEN',
        '  owner: acme',
        'scm:',
        '  kind: forge',
        '  host: forge.example.invalid',
        'agent:',
        '  kind: claude',
        'claude:',
        '  binary: /usr/local/bin/claude',
        'budget:',
        '  total_usd: 25',
        '---',
      ].join('\n'),
      {
        environment: { GITHUB_TOKEN: token },
        plugins: {
          trackers: { github: definition<TrackerV1>(trackerSettingsSchema) },
          scms: { forge: definition<ScmProviderV1>(z.object({ host: z.string() })) },
          agents: {
            claude: definition<AgentBackendV1>(
              z.object({ binary: z.string(), verbose: z.boolean().default(false) }),
            ),
          },
          budget: definition<BudgetV1>(z.object({ total_usd: z.number().positive() })),
        },
      },
    );
    expect(workflow.pluginSettings).toEqual({
      tracker: { kind: 'github', token, owner: 'acme', per_page: 50 },
      scm: { host: 'forge.example.invalid' },
      store: {},
      budget: { total_usd: 25 },
      notifications: {},
      agents: { claude: { binary: '/usr/local/bin/claude', verbose: false } },
    });
    // The tracker's own keys are kept on the core section too (it is a loose object).
    expect(workflow.config.tracker).toMatchObject({ kind: 'github', owner: 'acme' });
  });

  it('validates the top-level section of an agent kind and the budget section', async () => {
    const error = await loadError(
      '---\nagent:\n  kind: claude\nclaude:\n  binary: 5\nbudget:\n  total_usd: -1\n---\n',
      {
        plugins: {
          agents: { claude: definition<AgentBackendV1>(z.object({ binary: z.string() })) },
          budget: definition<BudgetV1>(z.object({ total_usd: z.number().min(0) })),
        },
      },
    );
    expect(error.message).toBe(
      [
        `Invalid workflow (2 problems): ${workflowPath}:5:11: claude.binary: expected a string, found 5`,
        `${workflowPath}:7:14: budget.total_usd: expected a number >= 0, found -1`,
      ].join('\n'),
    );
  });

  it('passes a ready slot instance through without validating its section', async () => {
    const instance = { specificationVersion: 'tracker-v1' } as unknown as TrackerV1;
    const workflow = await load('---\ntracker:\n  kind: ready\n  anything: [1]\n---\n', {
      plugins: { trackers: { ready: instance } },
    });
    expect(workflow.pluginSettings.tracker).toEqual({ kind: 'ready', anything: [1] });
  });
});

describe('parseWorkflow', () => {
  it('validates text already read, locating errors in the named file', () => {
    expect(() => parseWorkflow('---\npolling:\n  interval_ms: -5\n---\n', '/srv/app/WORKFLOW.md')).toThrow(
      'Invalid workflow: /srv/app/WORKFLOW.md:3:16: polling.interval_ms: expected a positive whole number, found -5',
    );
    const workflow = parseWorkflow('---\nworkspace:\n  root: trees\n---\n', '/srv/app/WORKFLOW.md', {
      environment: {},
    });
    expect(workflow.config.workspace.root).toBe('/srv/app/trees');
  });
});
