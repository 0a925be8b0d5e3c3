import {
  createSilentLogger,
  type PluginContext,
  parseWorkflow,
  UnknownPluginKindError,
  WorkflowError,
} from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GitLabScmProvider, gitLabScm } from '../src/index.js';

const variable = 'LOOMPA_TEST_GITLAB_SCM_TOKEN';
const context: PluginContext = {
  workflowDirectory: '/tmp',
  repositoryPath: null,
  stateDirectory: '/tmp',
  logger: createSilentLogger(),
  resolveAgent: (kind) => {
    throw new UnknownPluginKindError('agent', kind, []);
  },
};

const parse = (scm: string) =>
  parseWorkflow(`---\nscm:\n  kind: gitlab\n${scm}\n---\nWork.\n`, '/tmp/WORKFLOW.md', {
    plugins: { scms: { gitlab: gitLabScm } },
  });

describe('scm kind gitlab in WORKFLOW.md', () => {
  beforeEach(() => {
    process.env[variable] = 'glpat-secret-value';
  });
  afterEach(() => {
    delete process.env[variable];
  });

  it('reads the section with its defaults, keeping core keys, and builds the provider', () => {
    const parsed = parse(`  project: 42
  token_variable: ${variable}
  auto_merge: true
  merge_when_pipeline_succeeds: "true"`);
    const settings = parsed.pluginSettings.scm as Record<string, unknown>;
    expect(settings).toMatchObject({
      host: 'https://gitlab.com',
      project: '42',
      merge_when_pipeline_succeeds: true,
      remove_source_branch: true,
      rebase_poll_interval_ms: 1_000,
      auto_merge: true,
    });
    const provider = gitLabScm.create(settings as never, context) as GitLabScmProvider;
    expect(provider.name).toBe('gitlab');
    expect(provider.secretEnvironmentVariables).toEqual([variable]);
  });

  it('reports problems at their key and line', () => {
    let failure: unknown = null;
    try {
      parse(`  project: group/project
  token_variable: ${variable}
  rebase_timeout_ms: -1
  remove_source_branch: perhaps`);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(WorkflowError);
    const paths = (failure as WorkflowError).problems.map((problem) => [problem.yamlPath, problem.line]);
    expect(paths).toEqual(
      expect.arrayContaining([
        ['scm.rebase_timeout_ms', 6],
        ['scm.remove_source_branch', 7],
      ]),
    );
  });

  it('needs the webhook secret variable when webhooks are on, and lists it for removal from agents', () => {
    let failure: unknown = null;
    try {
      parse(`  project: group/project
  token_variable: ${variable}
  webhook:
    port: 0`);
    } catch (error) {
      failure = error;
    }
    expect((failure as WorkflowError).problems).toMatchObject([{ yamlPath: 'scm.webhook.secret_variable' }]);
    process.env.GITLAB_WEBHOOK_SECRET = 'hook-secret';
    try {
      const parsed = parse(`  project: group/project
  token_variable: ${variable}
  webhook:
    port: 0`);
      const provider = gitLabScm.create(parsed.pluginSettings.scm as never, context) as GitLabScmProvider;
      expect(provider.secretEnvironmentVariables).toEqual([variable, 'GITLAB_WEBHOOK_SECRET']);
      expect(typeof provider.watch).toBe('function');
    } finally {
      delete process.env.GITLAB_WEBHOOK_SECRET;
    }
  });
});
