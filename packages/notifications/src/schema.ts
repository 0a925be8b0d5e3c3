import type { PluginSchema } from '@loompa/core/schema';
import { type NotificationSettings, notificationSettingsSchema } from './notification-settings.js';

/**
 * The `notifications:` section, as `@loompa/notifications/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const notificationsSchema = {
  slot: 'notifier',
  kind: 'notifications',
  settingsSchema: notificationSettingsSchema,
} satisfies PluginSchema<NotificationSettings>;
