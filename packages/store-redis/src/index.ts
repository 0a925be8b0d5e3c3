/**
 * @loompa/store-redis: the orchestrator's store in Redis, shared by several orchestrators of
 * one project. One leads (a lease taken with `SET NX PX`, renewed while held) and every write
 * carries its fencing token, which Redis checks atomically; the others stand by and take over
 * when the leader dies.
 */
export {
  createRedisStore,
  defaultPrefixFor,
  type RedisStore,
  type RedisStoreOptions,
} from './redis-store.js';
export { redisStore } from './redis-store-plugin.js';
export { type RedisStoreSettings, redisStoreSettingsSchema } from './redis-store-settings.js';
export { redisStoreSchema } from './schema.js';
