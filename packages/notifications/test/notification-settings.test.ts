import { parseWorkflow, WorkflowError } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';
import { notificationsPlugin } from '../src/index.js';

const secretUrl = 'https://hooks.slack.example/services/T000/B000/secret-token-0123456789';

afterEach(() => {
  delete process.env.NOTIFY_TEST_URL;
  delete process.env.NOTIFY_TEST_NOT_URL;
});

function problemsOf(frontMatter: string): WorkflowError['problems'] {
  try {
    parseWorkflow(`---\n${frontMatter}---\nWork.\n`, '/tmp/WORKFLOW.md', {
      plugins: { notifier: notificationsPlugin },
    });
  } catch (error) {
    if (error instanceof WorkflowError) return error.problems;
    throw error;
  }
  return [];
}

describe('notifications: in WORKFLOW.md', () => {
  it('accepts targets whose URL variable holds a URL, with defaults', () => {
    process.env.NOTIFY_TEST_URL = secretUrl;
    const workflow = parseWorkflow(
      '---\nnotifications:\n  targets:\n    team:\n      format: slack\n      url_variable: NOTIFY_TEST_URL\n---\n',
      '/tmp/WORKFLOW.md',
      { plugins: { notifier: notificationsPlugin } },
    );
    expect(workflow.pluginSettings.notifications).toMatchObject({
      targets: {
        team: {
          format: 'slack',
          url_variable: 'NOTIFY_TEST_URL',
          events: ['issue-blocked', 'issue-done', 'budget-exceeded', 'agent-unavailable'],
        },
      },
      max_attempts: 8,
    });
  });

  it('reports each problem with its YAML path and line, never a URL variable’s value', () => {
    process.env.NOTIFY_TEST_NOT_URL = 'not-a-url-but-a-secret-0123456789';
    const problems = problemsOf(
      [
        'notifications:',
        '  targets:',
        '    team:',
        '      url_variable: NOTIFY_TEST_UNSET',
        '      events: [issue-blocked, issue-exploded]',
        '    other:',
        '      url_variable: NOTIFY_TEST_NOT_URL',
        '      fromat: slack',
        '  max_attempts: 0',
        '',
      ].join('\n'),
    );
    const byPath = Object.fromEntries(problems.map((problem) => [problem.yamlPath, problem]));
    expect(Object.keys(byPath).sort()).toEqual([
      'notifications.max_attempts',
      'notifications.targets.other',
      'notifications.targets.other.url_variable',
      'notifications.targets.team.events[1]',
      'notifications.targets.team.url_variable',
    ]);
    expect(byPath['notifications.targets.team.url_variable']!.message).toContain(
      'environment variable NOTIFY_TEST_UNSET is empty or not set',
    );
    expect(byPath['notifications.targets.team.events[1]']!.line).toBe(6);
    expect(byPath['notifications.targets.other']!.message).toContain('fromat');
    expect(JSON.stringify(problems)).not.toContain('not-a-url-but-a-secret');
  });
});
