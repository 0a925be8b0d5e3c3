import { createHash } from 'node:crypto';
import { redactSecrets } from '@loompa/core';
import type { Notification } from './describe-notification.js';

/** A message ready to post: the body exactly as sent, and its content type. */
export interface RenderedMessage {
  body: string;
  contentType: string;
}

/**
 * Slack reads `<…>` as links and mentions (`<!channel>`) and `&` as the start of an entity;
 * escaping these three makes any text plain (https://api.slack.com/reference/surfaces/formatting#escaping).
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack allows 3,000 characters in a section's text; long reasons are cut with a note. */
function bounded(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 20)}… (cut, ${text.length} chars)`;
}

const eventHeadings: Record<Notification['event'], string> = {
  'issue-blocked': ':warning: Blocked, needs a person',
  'issue-done': ':white_check_mark: Done',
  'change-request-merged': ':twisted_rightwards_arrows: Merged',
  'budget-exceeded': ':money_with_wings: Budget exceeded',
  'agent-unavailable': ':no_entry: Agent unavailable',
};

/** Stable id of one message to one target, for receivers that de-duplicate. */
export function messageIdOf(targetName: string, key: string): string {
  return createHash('sha256').update(`${targetName}\n${key}`).digest('hex').slice(0, 32);
}

/**
 * The body for a target's format. Every text is redacted of registered secrets first; JSON
 * carries untrusted text as string values (escaped by `JSON.stringify`), Slack as escaped
 * mrkdwn, so a title can neither break the body nor mention a channel.
 */
export function formatMessage(
  notification: Notification,
  format: 'json' | 'slack',
  targetName: string,
): RenderedMessage {
  const clean = JSON.parse(redactSecrets(JSON.stringify(notification))) as Notification;
  if (format === 'slack') {
    const text = `${eventHeadings[clean.event]}: ${escapeSlackText(bounded(clean.summary, 2_800))}`;
    return {
      contentType: 'application/json',
      body: JSON.stringify({
        text,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
      }),
    };
  }
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      id: messageIdOf(targetName, clean.key),
      event: clean.event,
      key: clean.key,
      at: clean.at,
      text: clean.summary,
      issue: clean.issue,
      details: clean.details,
    }),
  };
}
