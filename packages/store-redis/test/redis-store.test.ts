import { FencedOutError, LoompaError } from '@loompa/core';
import { startRedisServer, type TestRedisServer } from '@loompa/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';

/** Every test against a real redis-server on 127.0.0.1, each with its own key prefix. */
let redis: TestRedisServer;
const stores: RedisStore[] = [];
let prefixes = 0;
beforeAll(async () => {
  redis = await startRedisServer();
}, 600_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function storeFor(prefix: string, url = redis.url): RedisStore {
  const store = createRedisStore({ url, prefix });
  stores.push(store);
  return store;
}
const freshPrefix = () => `loompa-test:${process.pid}:${++prefixes}`;

describe('the Redis store', () => {
  it('sets, gets, lists by prefix and deletes, like the file store', async () => {
    const store = storeFor(freshPrefix());
    expect(await store.get('item/1')).toBeUndefined();
    await store.set('item/1', { failures: 1, blocked: null });
    await store.set('item/2', { failures: 0, blocked: { reason: 'needs a human' } });
    await store.set('cursor/reviews', ['comment-1']);
    expect(await store.get('item/1')).toEqual({ failures: 1, blocked: null });
    expect(await store.list('item/')).toEqual([
      { key: 'item/1', value: { failures: 1, blocked: null } },
      { key: 'item/2', value: { failures: 0, blocked: { reason: 'needs a human' } } },
    ]);
    expect(await store.list('cursor/')).toEqual([{ key: 'cursor/reviews', value: ['comment-1'] }]);
    expect(await store.list('')).toHaveLength(3);
    await store.delete('item/1');
    await store.delete('item/1');
    expect(await store.get('item/1')).toBeUndefined();
    expect((await store.list('item/')).map((entry) => entry.key)).toEqual(['item/2']);
  });

  it('keeps keys with glob characters, slashes, brackets and other scripts apart, and prefixes apart', async () => {
    const prefix = freshPrefix();
    const store = storeFor(prefix);
    const keys = ['a/b', 'a*', 'a?', 'a[1]', '[a', 'item/..', 'ü/名前 x', 'item/#34?x=1', 'item/\u0000zero'];
    for (const [index, key] of keys.entries()) await store.set(key, index);
    for (const [index, key] of keys.entries()) expect(await store.get(key)).toBe(index);
    expect((await store.list('')).map((entry) => entry.key).sort()).toEqual([...keys].sort());
    expect((await store.list('a')).map((entry) => entry.key).sort()).toEqual(
      ['a*', 'a/b', 'a?', 'a[1]'].sort(),
    );
    expect((await store.list('[')).map((entry) => entry.key)).toEqual(['[a']);
    // Another project's store on the same Redis sees none of it.
    const other = storeFor(`${prefix}:other`);
    expect(await other.list('')).toEqual([]);
    expect(await other.get('a/b')).toBeUndefined();
  });

  it('refuses a write fenced with an old token once another instance acquired the lease', async () => {
    const prefix = freshPrefix();
    const first = storeFor(prefix);
    const second = storeFor(prefix);
    const grant = await first.leaderLease.acquire({ holder: 'first', ttlMs: 300 });
    expect(grant).not.toBeNull();
    await first.set('item/1', { by: 'first' }, { fencingToken: grant!.token });
    // The first holder stops renewing (frozen); the lease runs out and the second takes it.
    const taken = await vi.waitFor(
      async () => {
        const acquired = await second.leaderLease.acquire({ holder: 'second', ttlMs: 60_000 });
        expect(acquired).not.toBeNull();
        return acquired!;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(taken.token).toBeGreaterThan(grant!.token);
    await second.set('item/1', { by: 'second' }, { fencingToken: taken.token });

    const refused = await first.set('item/1', { by: 'first, late' }, { fencingToken: grant!.token }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FencedOutError);
    expect(LoompaError.hasCode(refused, 'fenced_out')).toBe(true);
    expect((refused as FencedOutError).details).toMatchObject({
      token: grant!.token,
      currentToken: taken.token,
    });
    expect((refused as Error).message).toContain('another orchestrator leads');
    await expect(first.delete('item/1', { fencingToken: grant!.token })).rejects.toThrow(FencedOutError);
    expect(await second.get('item/1')).toEqual({ by: 'second' });
    // The old holder cannot renew or release the new holder's lease either.
    expect(await first.leaderLease.renew({ holder: 'first', token: grant!.token, ttlMs: 60_000 })).toBe(
      false,
    );
    await first.leaderLease.release({ holder: 'first', token: grant!.token });
    expect(await first.leaderLease.acquire({ holder: 'first', ttlMs: 60_000 })).toBeNull();
  });

  it('renews only for the holder with its token, and a release lets the next one in at once', async () => {
    const prefix = freshPrefix();
    const store = storeFor(prefix);
    const grant = (await store.leaderLease.acquire({ holder: 'leader', ttlMs: 60_000 }))!;
    expect(await store.leaderLease.renew({ holder: 'leader', token: grant.token, ttlMs: 60_000 })).toBe(true);
    expect(await store.leaderLease.renew({ holder: 'intruder', token: grant.token, ttlMs: 60_000 })).toBe(
      false,
    );
    expect(await store.leaderLease.renew({ holder: 'leader', token: grant.token + 1, ttlMs: 60_000 })).toBe(
      false,
    );
    expect(await store.leaderLease.acquire({ holder: 'standby', ttlMs: 60_000 })).toBeNull();
    // A release by someone else does nothing.
    await store.leaderLease.release({ holder: 'intruder', token: grant.token });
    expect(await store.leaderLease.acquire({ holder: 'standby', ttlMs: 60_000 })).toBeNull();
    await store.leaderLease.release({ holder: 'leader', token: grant.token });
    const next = await store.leaderLease.acquire({ holder: 'standby', ttlMs: 60_000 });
    expect(next?.token).toBe(grant.token + 1);
  });

  it('gives the lease to exactly one of many acquiring at once, each on its own connection', async () => {
    const prefix = freshPrefix();
    const contenders = Array.from({ length: 12 }, () => storeFor(prefix));
    const grants = await Promise.all(
      contenders.map((store, index) =>
        store.leaderLease.acquire({ holder: `contender-${index}`, ttlMs: 60_000 }),
      ),
    );
    const winners = grants.filter((grant) => grant !== null);
    expect(winners).toHaveLength(1);
    // The winner writes; every loser's write with a guessed token is refused.
    const winner = contenders[grants.findIndex((grant) => grant !== null)]!;
    await winner.set('item/1', 'winner', { fencingToken: winners[0]!.token });
    for (const [index, store] of contenders.entries()) {
      if (store === winner) continue;
      await expect(
        store.set('item/1', `loser ${index}`, { fencingToken: winners[0]!.token - 1 }),
      ).rejects.toThrow(FencedOutError);
    }
    expect(await winner.get('item/1')).toBe('winner');
  });

  it('says where Redis is without its password when it cannot be reached', async () => {
    const { freePort } = await import('@loompa/testkit');
    const port = await freePort();
    const store = createRedisStore({
      url: `redis://loompa:s3cret-pass-word@127.0.0.1:${port}/0`,
      prefix: freshPrefix(),
      commandTimeoutMs: 1_000,
    });
    stores.push(store);
    const failure = await store.leaderLease.acquire({ holder: 'x', ttlMs: 1_000 }).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.message).toContain(`redis://127.0.0.1:${port}/0`);
    expect(failure!.message).toContain('taking the leader lease failed');
    expect(failure!.message).not.toContain('s3cret-pass-word');
  });
});
