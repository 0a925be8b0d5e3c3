import { registerSecret } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { describeNotification } from './describe-notification.js';
import { escapeSlackText, formatMessage } from './format-message.js';

const hostileTitle =
  'Fix "quotes"}\n\t<!channel> & <@U024BE7LH> <https://evil.example|click> `rm -rf` *bold* \u0000\u2028';

function blockedEvent(title: string, reason: string) {
  return {
    type: 'issue-blocked' as const,
    at: new Date('2026-01-02T03:04:05.000Z'),
    payload: { issueId: 'id-1', issueIdentifier: 'TASK-1', issueTitle: title, reason },
  };
}

describe('formatMessage', () => {
  it('carries a hostile title in JSON as data, byte for byte', () => {
    const notification = describeNotification(blockedEvent(hostileTitle, 'attempts exhausted'), 0)!;
    const { body, contentType } = formatMessage(notification, 'json', 'hooks');
    expect(contentType).toBe('application/json');
    const parsed = JSON.parse(body);
    expect(parsed.issue).toEqual({ id: 'id-1', identifier: 'TASK-1', title: hostileTitle });
    expect(parsed.event).toBe('issue-blocked');
    expect(parsed.key).toBe('issue-blocked:id-1:0');
    expect(parsed.at).toBe('2026-01-02T03:04:05.000Z');
    expect(parsed.text).toContain(hostileTitle);
    // Control characters are escaped in the body itself, so a line-based reader is not fooled.
    expect([...body].some((character) => character.charCodeAt(0) < 0x20)).toBe(false);
  });

  it('escapes Slack control characters so a title can neither mention nor link', () => {
    const notification = describeNotification(blockedEvent(hostileTitle, 'needs <input> & help'), 0)!;
    const parsed = JSON.parse(formatMessage(notification, 'slack', 'team').body);
    expect(parsed.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: parsed.text } }]);
    expect(parsed.text).toContain(
      '&lt;!channel&gt; &amp; &lt;@U024BE7LH&gt; &lt;https://evil.example|click&gt;',
    );
    expect(parsed.text).toContain('needs &lt;input&gt; &amp; help');
    expect(parsed.text).not.toMatch(/<[!@#]|<https?:/);
    // Only our own escapes contain an ampersand.
    expect(parsed.text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
  });

  it('leaves no registered secret in any body', () => {
    const secret = 'sk-notification-secret-0123456789abcdef';
    registerSecret(secret);
    const notification = describeNotification(blockedEvent(`title ${secret}`, `agent said ${secret}`), 0)!;
    for (const format of ['json', 'slack'] as const) {
      const { body } = formatMessage(notification, format, 'target');
      expect(body).not.toContain(secret);
      expect(body).toContain('[REDACTED]');
    }
  });

  it('cuts a Slack text longer than a section allows, saying so', () => {
    const notification = describeNotification(blockedEvent('long', 'x'.repeat(10_000)), 0)!;
    const parsed = JSON.parse(formatMessage(notification, 'slack', 'team').body);
    expect(parsed.text.length).toBeLessThan(3_000);
    expect(parsed.text).toContain('(cut, ');
  });
});

describe('escapeSlackText', () => {
  it('escapes exactly &, < and >', () => {
    expect(escapeSlackText('a & b < c > d *e* _f_')).toBe('a &amp; b &lt; c &gt; d *e* _f_');
  });
});

describe('describeNotification', () => {
  it('keys a global budget limit by its window, and an issue limit by its issue too', () => {
    const decision = {
      allowed: false as const,
      reason: 'daily limit of $1.00 reached',
      limit: 'limit_usd',
      scope: 'global' as const,
      windowKey: 'limit_usd:2026-01-02',
      retryAt: new Date('2026-01-03T00:00:00Z'),
    };
    const global = describeNotification(
      { type: 'budget-exceeded', at: new Date(), payload: { decision, issueIdentifier: 'TASK-1' } },
      0,
    );
    expect(global?.key).toBe('budget-exceeded:limit_usd:2026-01-02');
    const perIssue = describeNotification(
      {
        type: 'budget-exceeded',
        at: new Date(),
        payload: {
          decision: { ...decision, scope: 'issue', limit: 'per_issue_usd' },
          issueIdentifier: 'TASK-1',
        },
      },
      0,
    );
    expect(perIssue?.key).toBe('budget-exceeded:limit_usd:2026-01-02:TASK-1');
    expect(
      describeNotification({ type: 'tick-started', at: new Date(), payload: { at: new Date() } }, 0),
    ).toBeNull();
  });
});
