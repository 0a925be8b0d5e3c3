import { InvalidArgumentError, type PluginDefinition } from '@loompa/core';
import {
  type NotificationSettings,
  notificationSettingsSchema,
  notificationSettingsSchemaIn,
} from './notification-settings.js';
import { WebhookNotifier } from './webhook-notifier.js';

/**
 * The notifier as the orchestrator builds it from WORKFLOW.md's `notifications:` section
 * (`createOrchestrator({ notifier: notificationsPlugin })`). A reload that changes the section
 * makes a new notifier, which first delivers what the old one left in the outbox.
 */
export const notificationsPlugin: PluginDefinition<WebhookNotifier, NotificationSettings> = {
  settingsSchema: notificationSettingsSchema,
  create(settings, context) {
    return new WebhookNotifier({ settings, logger: context.logger });
  },
};

/** A notifier configured in code, with the same rules as the `notifications:` section. */
export function createWebhookNotifier(
  options: { settings: unknown } & Omit<ConstructorParameters<typeof WebhookNotifier>[0], 'settings'>,
): WebhookNotifier {
  const environment = options.environment ?? process.env;
  const parsed = notificationSettingsSchemaIn(() => environment).safeParse(options.settings ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`,
    );
    throw new InvalidArgumentError(`Invalid notification settings: ${problems.join('; ')}`);
  }
  return new WebhookNotifier({ ...options, settings: parsed.data });
}
