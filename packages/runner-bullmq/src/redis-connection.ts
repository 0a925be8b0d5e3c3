import { describeError, registerSecret } from '@loompa/core';
import { Redis } from 'ioredis';

/** Where a Redis is, without its password (which is registered as a secret the moment it is seen). */
export function describeRedis(redis: string | Redis): string {
  if (typeof redis !== 'string') return `${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`;
  try {
    const url = new URL(redis);
    registerSecret(decodeURIComponent(url.password));
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(an unreadable Redis URL)';
  }
}

/**
 * A connection of its own for each BullMQ object that blocks on Redis. BullMQ workers need
 * `maxRetriesPerRequest: null` so a Redis restart pauses them instead of failing jobs; while
 * Redis is away ioredis reconnects, and its errors go to `onError` instead of the console.
 */
export function redisConnection(redis: string | Redis, onError: (message: string) => void = () => {}): Redis {
  describeRedis(redis);
  const connection =
    typeof redis === 'string'
      ? new Redis(redis, { maxRetriesPerRequest: null })
      : redis.duplicate({ maxRetriesPerRequest: null });
  connection.on('error', (error) => onError(describeError(error)));
  return connection;
}

/** Fails fast, saying where, when Redis cannot be reached (rather than retrying forever at start). */
export async function assertRedisReachable(redis: string | Redis): Promise<void> {
  const options = {
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5_000,
    lazyConnect: true,
  };
  const probe = typeof redis === 'string' ? new Redis(redis, options) : redis.duplicate(options);
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(`Cannot reach Redis at ${describeRedis(redis)}: ${describeError(error)}`);
  } finally {
    probe.disconnect();
  }
}
