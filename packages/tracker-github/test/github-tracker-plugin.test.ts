import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger, type PluginContext } from '@loompa/core';
import { createFakeGitHub, type FakeGitHub } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { gitHubTrackerPlugin, gitHubTrackerSettingsSchema } from '../src/index.js';

let fake: FakeGitHub | null = null;
let directory: string | null = null;
afterEach(async () => {
  await fake?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
  fake = null;
  directory = null;
});

function contextFor(workflowDirectory: string): PluginContext {
  return {
    workflowDirectory,
    repositoryPath: workflowDirectory,
    stateDirectory: path.join(workflowDirectory, '.loompa', 'state'),
    logger: createSilentLogger(),
    resolveAgent: () => {
      throw new Error('no agents here');
    },
  };
}

describe('gitHubTrackerPlugin', () => {
  it('authenticates as a GitHub App with a key file next to WORKFLOW.md and reads the labelled issues', async () => {
    fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
    directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-github-plugin-'));
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    await writeFile(path.join(directory, 'app.pem'), keys.privateKey);
    fake.registerApp({ appId: 31, slug: 'loompa-ci', publicKeyPem: keys.publicKey });
    fake.installApp(31, 'octo/widgets');
    fake.seedIssue('octo/widgets', { title: 'For Loompa', labels: ['loompa'] });
    fake.seedIssue('octo/widgets', { title: 'Not for Loompa' });

    const section = gitHubTrackerSettingsSchema.parse({
      kind: 'github',
      repository: 'octo/widgets',
      api_url: fake.url,
      app_id: 31,
      app_private_key_path: 'app.pem',
      required_labels: ['loompa'],
    });
    const tracker = gitHubTrackerPlugin.create(section, contextFor(directory));
    expect(tracker.secretEnvironmentVariables).toEqual([]);
    const listed = await tracker.listIssues({ states: ['todo'] });
    expect(listed.map((issue) => issue.title)).toEqual(['For Loompa']);
    await tracker.commentOnIssue!({ issueId: listed[0]!.id, body: 'Seen', key: 'status' });
    await tracker.commentOnIssue!({ issueId: listed[0]!.id, body: 'Seen again', key: 'status' });
    const comments = fake.model.commentsOf(fake.repository('octo/widgets'), Number(listed[0]!.id));
    expect(comments.map((comment) => comment.author)).toEqual(['loompa-ci[bot]']);
    expect(fake.credentials.installationTokensMinted).toBe(1);
  });

  it('declares the token variable as a secret and fails with its name when it is unset at request time', async () => {
    fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
    directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-github-plugin-'));
    const variable = 'LOOMPA_PLUGIN_TEST_TOKEN';
    process.env[variable] = fake.createToken('loompa-bot');
    try {
      const section = gitHubTrackerSettingsSchema.parse({
        repository: 'octo/widgets',
        api_url: fake.url,
        token_variable: variable,
      });
      const tracker = gitHubTrackerPlugin.create(section, contextFor(directory));
      expect(tracker.secretEnvironmentVariables).toEqual([variable]);
      expect(await tracker.listIssues({ states: ['todo'] })).toEqual([]);
      delete process.env[variable];
      const failure = await tracker.getIssues({ ids: ['1'] }).catch((error: unknown) => error);
      expect(String((failure as Error).cause ?? failure)).toContain(
        `${variable} (the GitHub token) is empty or not set`,
      );
    } finally {
      delete process.env[variable];
    }
  });
});
