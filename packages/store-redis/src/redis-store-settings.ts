import { z } from 'zod';

/**
 * The `store:` section when `kind: redis`. `kind` and `lease_ms` are core's (kept here, not
 * checked); `url` may be written `$LOOMPA_REDIS_URL` to come from the environment.
 */
export const redisStoreSettingsSchema = z.looseObject({
  url: z
    .string({ error: 'the Redis URL (redis://[:password@]host:port[/db]), e.g. $LOOMPA_REDIS_URL' })
    .regex(/^rediss?:\/\//, 'expected a URL starting with redis:// or rediss://')
    .describe(
      'The Redis every orchestrator of the project shares; `$LOOMPA_REDIS_URL` reads it from the environment.',
    ),
  prefix: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Key prefix of this project's store and lease, the same for every orchestrator of the project; `loompa:<repository folder name>` by default.",
    ),
  command_timeout_ms: z
    .number()
    .int()
    .positive()
    .default(5_000)
    .describe('How long one Redis command may take before it fails.'),
});

export type RedisStoreSettings = z.output<typeof redisStoreSettingsSchema>;
