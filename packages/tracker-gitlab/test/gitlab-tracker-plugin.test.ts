import {
  createSilentLogger,
  type PluginContext,
  parseWorkflow,
  UnknownPluginKindError,
  WorkflowError,
} from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GitLabTracker, gitLabTracker } from '../src/index.js';

const variable = 'LOOMPA_TEST_GITLAB_TRACKER_TOKEN';
const context: PluginContext = {
  workflowDirectory: '/tmp',
  repositoryPath: null,
  stateDirectory: '/tmp',
  logger: createSilentLogger(),
  resolveAgent: (kind) => {
    throw new UnknownPluginKindError('agent', kind, []);
  },
};

const workflow = (tracker: string) => `---
tracker:
  kind: gitlab
${tracker}
---
Work on {{ issue.identifier }}.
`;

const parse = (tracker: string) =>
  parseWorkflow(workflow(tracker), '/tmp/WORKFLOW.md', { plugins: { trackers: { gitlab: gitLabTracker } } });

describe('tracker kind gitlab in WORKFLOW.md', () => {
  beforeEach(() => {
    process.env[variable] = 'glpat-secret-value';
  });
  afterEach(() => {
    delete process.env[variable];
  });

  it('reads the section with its defaults and builds the tracker from it', () => {
    const parsed = parse(`  host: https://gitlab.example.com
  project: group/sub/project
  token_variable: ${variable}
  required_labels: [agent]
  max_pages: "3"`);
    const settings = parsed.pluginSettings.tracker as Record<string, unknown>;
    expect(settings).toMatchObject({
      host: 'https://gitlab.example.com',
      project: 'group/sub/project',
      token_variable: variable,
      max_pages: 3,
      state_label_prefix: 'status::',
      priority_label_prefix: 'priority::',
      lease_label: 'loompa::claimed',
      poll_interval_ms: 30_000,
    });
    const tracker = gitLabTracker.create(settings as never, context) as GitLabTracker;
    expect(tracker.name).toBe('gitlab');
    expect(tracker.secretEnvironmentVariables).toEqual([variable]);
    expect(tracker.client.host).toBe('https://gitlab.example.com');
  });

  it('reports every problem at its key and line', () => {
    const failure = (() => {
      try {
        parse(`  host: not a url
  token_variable: LOOMPA_TEST_UNSET_VARIABLE
  max_pages: 0`);
      } catch (error) {
        return error;
      }
      return null;
    })() as WorkflowError;
    expect(failure).toBeInstanceOf(WorkflowError);
    const byPath = Object.fromEntries(failure.problems.map((problem) => [problem.yamlPath, problem]));
    expect(byPath['tracker.host']).toMatchObject({ line: 4 });
    expect(byPath['tracker.project']).toBeDefined();
    expect(byPath['tracker.max_pages']).toMatchObject({ line: 6 });
    expect(byPath['tracker.project']!.message).toContain(
      'the project path (group/project) or its numeric id',
    );
  });

  it('reports an unset token variable at token_variable, by name, never printing a token', () => {
    // The default variable, not written in the file: core treats values of token-named keys
    // as secrets and would hide a variable name written there.
    const saved = process.env.GITLAB_TOKEN;
    delete process.env.GITLAB_TOKEN;
    let failure: unknown = null;
    try {
      parse('  project: group/project');
    } catch (error) {
      failure = error;
    } finally {
      if (saved !== undefined) process.env.GITLAB_TOKEN = saved;
    }
    expect(failure).toBeInstanceOf(WorkflowError);
    expect((failure as WorkflowError).problems).toMatchObject([{ yamlPath: 'tracker.token_variable' }]);
    expect((failure as Error).message).toContain(
      'environment variable GITLAB_TOKEN (the GitLab token) is empty or not set',
    );
  });
});
