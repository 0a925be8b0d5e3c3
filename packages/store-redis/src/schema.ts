import type { PluginSchema } from '@loompa/core';
import { type RedisStoreSettings, redisStoreSettingsSchema } from './redis-store-settings.js';

/**
 * The `store:` section with `kind: redis`, as `@loompa/store-redis/schema`: the settings schema
 * and kind without the implementation, so checking a WORKFLOW.md loads no Redis client.
 */
export const redisStoreSchema = {
  slot: 'store',
  kind: 'redis',
  settingsSchema: redisStoreSettingsSchema,
} satisfies PluginSchema<RedisStoreSettings>;
