import type { PluginDefinition } from '@loompa/core';
import { createRedisStore, defaultPrefixFor, type RedisStore } from './redis-store.js';
import { type RedisStoreSettings, redisStoreSettingsSchema } from './redis-store-settings.js';

/** `store: { kind: redis, url: $LOOMPA_REDIS_URL }`: register as `stores: { redis: redisStore }`. */
export const redisStore: PluginDefinition<RedisStore, RedisStoreSettings> = {
  settingsSchema: redisStoreSettingsSchema,
  create(settings, context) {
    return createRedisStore({
      url: settings.url,
      prefix: settings.prefix ?? defaultPrefixFor(context),
      commandTimeoutMs: settings.command_timeout_ms,
      logger: context.logger,
    });
  },
};
