import { createRedisStore } from '@loompa/store-redis';
import { startRedisServer, type TestRedisServer } from '@loompa/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, removeSandboxes, startLoompa } from './cli-fixture.js';

/** `loompa run`, `status` and `babysit` with `store: { kind: redis }` against a real redis-server. */
let redis: TestRedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
}, 600_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(removeSandboxes);

describe('loompa with the store in Redis', () => {
  it('runs as the leader, keeps its records in Redis, and status and babysit use the same store', async () => {
    const prefix = `loompa-cli-test:${process.pid}`;
    const sandbox = await createSandbox({
      tasks: [{ id: 'TASK-1', title: 'Publish me' }],
      frontMatter: { store: { kind: 'redis', url: '$LOOMPA_REDIS_URL', prefix } },
    });
    // The URL carries a password the server does not ask for: it must show up nowhere.
    const url = redis.url.replace('redis://', 'redis://:cli-secret-password@');
    const env = { LOOMPA_REDIS_URL: url };
    const run = await startLoompa(['run', '--once', '--json'], { cwd: sandbox.repository, env });
    expect(run.exitCode).toBe(0);
    const events = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string });
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['leadership-acquired', 'change-request-opened']),
    );
    expect(`${run.stdout}${run.stderr}`).not.toContain('cli-secret-password');

    const store = createRedisStore({ url: redis.url, prefix });
    try {
      expect((await store.list('item/')).map((entry) => entry.key)).toEqual(['item/TASK-1']);
      const status = await startLoompa(['status'], { cwd: sandbox.repository, env });
      expect(status.exitCode).toBe(0);
      expect(status.stdout).toMatch(/^TASK-1\s+change request open on loompa\/TASK-1\s+/m);

      const babysit = await startLoompa(['babysit', '41'], { cwd: sandbox.repository, env });
      expect(babysit.exitCode).toBe(0);
      expect((await store.list('babysit/')).map((entry) => entry.key)).toEqual(['babysit/41']);
      expect(`${status.stdout}${babysit.stdout}${babysit.stderr}`).not.toContain('cli-secret-password');
    } finally {
      await store.close();
    }
  }, 120_000);
});
