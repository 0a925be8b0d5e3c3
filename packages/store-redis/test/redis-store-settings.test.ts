import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadWorkflow, WorkflowError } from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-store-settings-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function load(frontMatter: string, environment: NodeJS.ProcessEnv = {}) {
  const file = path.join(directory, 'WORKFLOW.md');
  await writeFile(file, `---\n${frontMatter}\n---\nWork on {{ issue.identifier }}\n`);
  return loadWorkflow(file, { plugins: { stores: { redis: redisStore } }, environment });
}

async function problemsOf(frontMatter: string, environment: NodeJS.ProcessEnv = {}) {
  const error = await load(frontMatter, environment).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WorkflowError);
  return (error as WorkflowError).problems;
}

describe('the store: section', () => {
  it('is the file store by default, with a 15 s lease', async () => {
    const workflow = await load('tracker: { kind: markdown }');
    expect(workflow.config.store).toEqual({ kind: 'file', lease_ms: 15_000 });
  });

  it('reads the Redis URL from the environment and keeps the core keys next to the plugin ones', async () => {
    const workflow = await load('store:\n  kind: redis\n  url: $LOOMPA_REDIS_URL\n  lease_ms: 3000', {
      LOOMPA_REDIS_URL: 'redis://:pass@redis.internal:6379/2',
    });
    expect(workflow.config.store).toMatchObject({ kind: 'redis', lease_ms: 3_000 });
    expect(workflow.pluginSettings.store).toMatchObject({
      url: 'redis://:pass@redis.internal:6379/2',
      command_timeout_ms: 5_000,
    });
  });

  it('names the unset variable and the YAML path when the URL is missing', async () => {
    const problems = await problemsOf('store:\n  kind: redis\n  url: $LOOMPA_REDIS_URL');
    expect(problems).toEqual([
      expect.objectContaining({
        yamlPath: 'store.url',
        line: 4,
        message: expect.stringContaining('LOOMPA_REDIS_URL'),
      }),
    ]);
  });

  it('refuses a URL that is not a Redis URL, and lists the known kinds for an unknown one', async () => {
    expect(await problemsOf('store: { kind: redis, url: "http://redis.internal" }')).toEqual([
      expect.objectContaining({ yamlPath: 'store.url', message: expect.stringContaining('redis://') }),
    ]);
    expect(await problemsOf('store: { kind: etcd }')).toEqual([
      expect.objectContaining({
        yamlPath: 'store.kind',
        message: 'unknown store kind "etcd"; registered kinds: file, memory, redis',
      }),
    ]);
    expect(await problemsOf('store: { kind: redis, url: "redis://x:6379", lease_ms: 0 }')).toEqual([
      expect.objectContaining({ yamlPath: 'store.lease_ms' }),
    ]);
  });
});
