import { Redis } from 'ioredis';

/**
 * A connection of its own for each BullMQ object that blocks on Redis. BullMQ workers need
 * `maxRetriesPerRequest: null` so a Redis restart pauses them instead of failing jobs.
 */
export function redisConnection(redis: string | Redis): Redis {
  if (typeof redis === 'string') return new Redis(redis, { maxRetriesPerRequest: null });
  return redis.duplicate({ maxRetriesPerRequest: null });
}
