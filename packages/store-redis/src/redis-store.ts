import path from 'node:path';
import {
  createSilentLogger,
  describeError,
  FencedOutError,
  type LeaderLeaseV1,
  type Logger,
  type StoreV1,
  type StoreWriteOptions,
} from '@loompa/core';
import { Redis } from 'ioredis';
import { describeRedisUrl } from './redis-location.js';
import {
  acquireScript,
  fencedDeleteScript,
  fencedSetScript,
  listScript,
  releaseScript,
  renewScript,
} from './store-scripts.js';

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Every key of this project's store starts with it; the same for every orchestrator of the project. */
  prefix: string;
  /** How long one command may take before it fails (so a leader notices a lost Redis within its lease). */
  commandTimeoutMs?: number;
  logger?: Logger;
}

export interface RedisStore extends StoreV1 {
  readonly leaderLease: LeaderLeaseV1;
  close(): Promise<void>;
}

interface StoreCommands {
  fencedSet(
    keys: [string, string, string],
    token: string,
    key: string,
    value: string,
  ): Promise<[number, string]>;
  fencedDelete(keys: [string, string, string], token: string, key: string): Promise<[number, string]>;
  listRange(keys: [string, string], minimum: Buffer | string, maximum: Buffer | string): Promise<string[]>;
  acquireLease(keys: [string, string], holder: string, ttlMs: number): Promise<number | null>;
  renewLease(keys: [string], value: string, ttlMs: number): Promise<number>;
  releaseLease(keys: [string], value: string): Promise<number>;
}

/** The default key prefix: `loompa:` and the project's folder name (the checkout, or the workflow's folder). */
export function defaultPrefixFor(context: {
  repositoryPath: string | null;
  workflowDirectory: string;
}): string {
  return `loompa:${path.basename(context.repositoryPath ?? context.workflowDirectory)}`;
}

/**
 * The orchestrator's store in Redis, for several orchestrators of one project (issue 19):
 * values are JSON in one hash, listed by prefix through a sorted index, and each write is one
 * Lua script that first compares the writer's fencing token with the lease's counter, so a
 * leader that lost the lease (frozen, cut off) can never overwrite its successor's state.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const logger = options.logger ?? createSilentLogger();
  const where = describeRedisUrl(options.url);
  const keys = {
    values: `${options.prefix}:values`,
    index: `${options.prefix}:keys`,
    leader: `${options.prefix}:leader`,
    counter: `${options.prefix}:leader-token`,
  };
  const redis = new Redis(options.url, {
    lazyConnect: true,
    // A command fails instead of waiting for Redis forever: the leader must notice a lost Redis.
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    connectTimeout: options.commandTimeoutMs ?? 5_000,
  });
  redis.on('error', (error) =>
    logger.warn('Redis connection error', { redis: where, message: describeError(error) }),
  );
  redis.defineCommand('fencedSet', { numberOfKeys: 3, lua: fencedSetScript });
  redis.defineCommand('fencedDelete', { numberOfKeys: 3, lua: fencedDeleteScript });
  redis.defineCommand('listRange', { numberOfKeys: 2, lua: listScript });
  redis.defineCommand('acquireLease', { numberOfKeys: 2, lua: acquireScript });
  redis.defineCommand('renewLease', { numberOfKeys: 1, lua: renewScript });
  redis.defineCommand('releaseLease', { numberOfKeys: 1, lua: releaseScript });
  const commands = redis as unknown as StoreCommands;

  /** Every command's failure names the Redis (without its password) and what was asked. */
  const attempt = async <Result>(what: string, command: () => Promise<Result>): Promise<Result> => {
    try {
      return await command();
    } catch (error) {
      throw new Error(
        `Redis store at ${where} (prefix ${options.prefix}): ${what} failed: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  };
  const refuse = (key: string, write: StoreWriteOptions, current: string) =>
    new FencedOutError(
      `The Redis store at ${where} refused the write of ${JSON.stringify(key)}: fencing token ${write.fencingToken} is not the current one (${current || 'none'}); another orchestrator leads`,
      {
        details: { token: write.fencingToken ?? null, currentToken: current === '' ? null : Number(current) },
      },
    );
  const fencedKeys = (): [string, string, string] => [keys.values, keys.index, keys.counter];
  const leaseValue = (token: number, holder: string) => `${token}:${holder}`;

  return {
    specificationVersion: 'store-v1',
    name: 'redis',
    async get<Value>(key: string) {
      const text = await attempt(`reading ${JSON.stringify(key)}`, () => redis.hget(keys.values, key));
      return text === null ? undefined : (JSON.parse(text) as Value);
    },
    async set(key, value, write: StoreWriteOptions = {}) {
      const token = write.fencingToken === undefined ? '' : String(write.fencingToken);
      const [written, current] = await attempt(`writing ${JSON.stringify(key)}`, () =>
        commands.fencedSet(fencedKeys(), token, key, JSON.stringify(value)),
      );
      if (written !== 1) throw refuse(key, write, current);
    },
    async delete(key, write: StoreWriteOptions = {}) {
      const token = write.fencingToken === undefined ? '' : String(write.fencingToken);
      const [deleted, current] = await attempt(`deleting ${JSON.stringify(key)}`, () =>
        commands.fencedDelete(fencedKeys(), token, key),
      );
      if (deleted !== 1) throw refuse(key, write, current);
    },
    async list<Value>(prefix: string) {
      // Keys are UTF-8, which never holds the byte 0xff: [prefix, prefix + 0xff] is every key starting with prefix.
      const minimum = prefix === '' ? '-' : Buffer.from(`[${prefix}`);
      const maximum = prefix === '' ? '+' : Buffer.concat([Buffer.from(`[${prefix}`), Buffer.from([0xff])]);
      const flat = await attempt(`listing ${JSON.stringify(prefix)}`, () =>
        commands.listRange([keys.values, keys.index], minimum, maximum),
      );
      const entries: Array<{ key: string; value: Value }> = [];
      for (let index = 0; index < flat.length; index += 2) {
        entries.push({ key: flat[index]!, value: JSON.parse(flat[index + 1]!) as Value });
      }
      return entries;
    },
    leaderLease: {
      scope: options.prefix,
      async acquire({ holder, ttlMs }) {
        const token = await attempt('taking the leader lease', () =>
          commands.acquireLease([keys.leader, keys.counter], holder, ttlMs),
        );
        return token === null ? null : { token: Number(token) };
      },
      async renew({ holder, token, ttlMs }) {
        const renewed = await attempt('renewing the leader lease', () =>
          commands.renewLease([keys.leader], leaseValue(token, holder), ttlMs),
        );
        return renewed === 1;
      },
      async release({ holder, token }) {
        await attempt('releasing the leader lease', () =>
          commands.releaseLease([keys.leader], leaseValue(token, holder)),
        );
      },
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
