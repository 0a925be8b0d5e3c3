import fs from 'node:fs/promises';
import path from 'node:path';
import { createSilentLogger, type PluginContext, UnknownPluginKindError } from '@loompa/core';
import { createTestRunResult, MockAgentBackend } from '@loompa/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalScmProvider, localScm, localScmSettingsSchema } from '../src/index.js';
import { createLocalRepositoryFixture, type LocalRepositoryFixture } from './local-repository-fixture.js';

describe('scm-local settings and plugin definition', () => {
  let repository: LocalRepositoryFixture;
  beforeEach(async () => {
    repository = await createLocalRepositoryFixture();
  });
  afterEach(async () => {
    await repository.cleanup();
  });

  const context = (overrides: Partial<PluginContext> = {}): PluginContext => ({
    workflowDirectory: repository.repositoryPath,
    repositoryPath: repository.repositoryPath,
    stateDirectory: repository.stateDirectory,
    logger: createSilentLogger(),
    resolveAgent: (kind) => {
      throw new UnknownPluginKindError('agent', kind, []);
    },
    ...overrides,
  });

  it('parses the scm section: plain and named checks, reviewer defaults, core keys kept', () => {
    const settings = localScmSettingsSchema.parse({
      kind: 'local',
      auto_merge: true,
      checks: ['pnpm test', { name: 'lint', command: 'pnpm lint', timeout_ms: '1000' }],
      reviewer: { agent: 'claude', model: 'small' },
      required_approvals: '2',
    });
    expect(settings.checks).toEqual(['pnpm test', { name: 'lint', command: 'pnpm lint', timeout_ms: 1000 }]);
    expect(settings.reviewer).toMatchObject({
      agent: 'claude',
      model: 'small',
      prompt: null,
      name: 'reviewer',
      max_turns: 20,
    });
    expect(settings.check_timeout_ms).toBe(600_000);
    expect(settings.required_approvals).toBe(2);
    expect(settings.kind).toBe('local');
    expect(settings.auto_merge).toBe(true);
    expect(localScmSettingsSchema.parse({}).checks).toEqual([]);
  });

  it('reports bad checks with their path', () => {
    const duplicate = localScmSettingsSchema.safeParse({
      checks: ['make', { name: 'make', command: 'make all' }],
    });
    expect(duplicate.success).toBe(false);
    expect(duplicate.error!.issues[0]).toMatchObject({ path: ['checks', 1] });
    expect(duplicate.error!.issues[0]!.message).toContain('duplicate check name "make"');
    const empty = localScmSettingsSchema.safeParse({ checks: [{ name: 'x', command: '' }] });
    expect(empty.error!.issues[0]!.path).toEqual(['checks', 0, 'command']);
    const reviewer = localScmSettingsSchema.safeParse({ reviewer: { model: 'm' } });
    expect(reviewer.error!.issues[0]!.path).toEqual(['reviewer', 'agent']);
  });

  it('creates a provider from the workflow section, resolving the reviewer agent by kind and its environment', async () => {
    const reviewerAgent = new MockAgentBackend({ run: createTestRunResult({ finalText: 'APPROVED' }) });
    const resolved: string[] = [];
    const settings = localScmSettingsSchema.parse({ checks: ['true'], reviewer: { agent: 'scripted' } });
    const provider = localScm.create(
      settings,
      context({
        resolveAgent: (kind) => {
          resolved.push(kind);
          return reviewerAgent;
        },
        agentEnvironment: (agent) => ({ MODEL_BASE_URL: 'http://127.0.0.1:1', FOR: agent.name }),
      }),
    );
    expect(provider).toBeInstanceOf(LocalScmProvider);
    expect(resolved).toEqual(['scripted']);
    const local = provider as LocalScmProvider;
    repository.providers.push(local);
    await repository.createBranch('loompa/plugin', 'plugin.txt', 'plugin\n');
    const changeRequest = await local.openChangeRequest({
      branch: 'loompa/plugin',
      baseBranch: 'main',
      title: 'P',
      body: '',
    });
    await local.getStatus({ changeRequest });
    await local.waitForIdle();
    const status = await local.getStatus({ changeRequest });
    expect(status).toMatchObject({
      continuousIntegration: { state: 'success' },
      review: { state: 'approved' },
      mergeability: 'clean',
    });
    expect(await fs.readdir(path.join(repository.stateDirectory, 'change-requests'))).toEqual(['1.json']);
    // The reviewer runs with the environment the orchestrator gives every agent.
    expect(reviewerAgent.recorder.callsOf<{ env: Record<string, string> }>('run')[0]!.env).toEqual({
      MODEL_BASE_URL: 'http://127.0.0.1:1',
      FOR: 'mock',
    });
  });

  it('needs a source checkout and a known reviewer kind', () => {
    const settings = localScmSettingsSchema.parse({});
    expect(() => localScm.create(settings, context({ repositoryPath: null }))).toThrow(
      /needs a source checkout/,
    );
    const withReviewer = localScmSettingsSchema.parse({ reviewer: { agent: 'nobody' } });
    expect(() => localScm.create(withReviewer, context())).toThrow(UnknownPluginKindError);
  });
});
