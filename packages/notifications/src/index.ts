/**
 * @loompa/notifications: webhook notifications (generic JSON and Slack-compatible) for the
 * events that need a person. This file is the package's public face.
 */

export { type DeliveryOutcome, deliverWebhook, parseRetryAfter } from './deliver-webhook.js';
export { describeNotification, type Notification } from './describe-notification.js';
export { escapeSlackText, formatMessage, messageIdOf, type RenderedMessage } from './format-message.js';
export { NotificationOutbox, type OutboxEntry, type SentRecord } from './notification-outbox.js';
export {
  type NotifiableEvent,
  type NotificationSettings,
  type NotificationTargetSettings,
  notifiableEvents,
  notificationSettingsSchema,
  notificationSettingsSchemaIn,
} from './notification-settings.js';
export { createWebhookNotifier, notificationsPlugin } from './notifications-plugin.js';
export { WebhookNotifier, type WebhookNotifierOptions } from './webhook-notifier.js';
