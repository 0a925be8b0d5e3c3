import { integerSetting, positiveInteger } from '@loompa/core/schema';
import { z } from 'zod';

/** The orchestrator events a target may be told about (names as in `OrchestratorEventMap`). */
export const notifiableEvents = [
  'issue-blocked',
  'issue-done',
  'change-request-merged',
  'budget-exceeded',
  'agent-unavailable',
] as const;

export type NotifiableEvent = (typeof notifiableEvents)[number];

/** Merged work also ends as done, so by default only `issue-done` says so. */
const defaultEvents: NotifiableEvent[] = [
  'issue-blocked',
  'issue-done',
  'budget-exceeded',
  'agent-unavailable',
];

const variableName = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

/**
 * A variable name whose value `environment` must hold (read when parsing); with `url`, an
 * http(s) URL. Checked on the field itself, so it is reported next to any other problem.
 */
const setVariableIn = (environment: () => NodeJS.ProcessEnv, holds: 'url' | 'value') =>
  variableName.superRefine((name, context) => {
    const value = environment()[name];
    if (value === undefined || value.trim() === '') {
      context.addIssue({ code: 'custom', message: `environment variable ${name} is empty or not set` });
    } else if (holds === 'url' && !/^https?:\/\/\S+$/i.test(value.trim())) {
      // The value is a secret: the message names the variable, never what it holds.
      context.addIssue({
        code: 'custom',
        message: `environment variable ${name} does not hold an http(s) URL`,
      });
    }
  });

/** The schema of one target, checking its variables in `environment`. */
const targetSchemaIn = (environment: () => NodeJS.ProcessEnv) =>
  z
    .object({
      format: z
        .enum(['json', 'slack'])
        .default('json')
        .describe(
          'json: a generic JSON body (event, key, text, issue, details); slack: a Slack incoming-webhook body (text and a mrkdwn block).',
        ),
      url_variable: setVariableIn(environment, 'url').describe(
        'Environment variable holding the webhook URL (a Slack webhook URL carries its token, so it is never written in the file, logged or stored).',
      ),
      secret_variable: setVariableIn(environment, 'value')
        .nullable()
        .default(null)
        .describe(
          'Environment variable holding a key: each body is signed with HMAC-SHA256 in the X-Loompa-Signature-256 header (sha256=<hex>).',
        ),
      events: z
        .array(z.enum(notifiableEvents))
        .min(1)
        .default(defaultEvents)
        .describe(`Events sent to this target: ${notifiableEvents.join(', ')}.`),
    })
    .strict();

/**
 * WORKFLOW.md's `notifications:` section, its URL and key variables checked in `environment`.
 * Targets are named (`targets.<name>`), so a YAML path in an error names the target; their URLs
 * come from the environment only.
 */
export const notificationSettingsSchemaIn = (environment: () => NodeJS.ProcessEnv) =>
  z
    .object({
      targets: z
        .record(
          z.string().regex(/^[\w.-]+$/, 'letters, digits, ".", "_" or "-"'),
          targetSchemaIn(environment),
        )
        .default({})
        .describe('Webhook targets by name; no notification is sent without one.'),
      max_attempts: positiveInteger
        .default(8)
        .describe('Deliveries tried per message before it is given up (and logged).'),
      initial_backoff_ms: positiveInteger
        .default(2_000)
        .describe(
          'Wait before the second try; doubled after each failure (a Retry-After answer is honoured).',
        ),
      max_backoff_ms: positiveInteger.default(300_000).describe('Longest wait between two tries.'),
      timeout_ms: integerSetting(100).default(10_000).describe('Time limit of one delivery request.'),
    })
    .strict();

/** The `notifications:` section as WORKFLOW.md has it, checked against Loompa's own environment. */
export const notificationSettingsSchema = notificationSettingsSchemaIn(() => process.env);

export type NotificationSettings = z.output<typeof notificationSettingsSchema>;
export type NotificationTargetSettings = NotificationSettings['targets'][string];
