import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger, parseWorkflow, WorkflowError } from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MarkdownTracker } from './markdown-tracker.js';
import { markdownTracker } from './markdown-tracker-plugin.js';
import { markdownTrackerSettingsSchema } from './markdown-tracker-schema.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'loompa-markdown-plugin-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function workflowText(trackerSection: string): string {
  return `---\ntracker:\n${trackerSection}\n---\nWork on {{ issue.identifier }}.\n`;
}

const plugins = { trackers: { markdown: markdownTracker } };

describe('markdownTrackerSettingsSchema', () => {
  it('fills the defaults', () => {
    expect(markdownTrackerSettingsSchema.parse({ kind: 'markdown' })).toMatchObject({
      kind: 'markdown',
      directory: '.loompa/tasks',
      id_prefix: 'TASK',
      active_states: ['todo', 'in progress'],
      terminal_states: ['done', 'cancelled'],
      commit: false,
      push: false,
      commit_delay_ms: 1_000,
    });
  });

  it('reports bad settings with their YAML path and line through the workflow loader', () => {
    const text = workflowText(
      '  kind: markdown\n  id_prefix: "my-prefix"\n  push: true\n  terminal_states: [Todo]\n  commit_author_name: Bot',
    );
    let error: unknown;
    try {
      parseWorkflow(text, path.join(root, 'WORKFLOW.md'), { plugins });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WorkflowError);
    const problems = (error as WorkflowError).problems.map((problem) => [problem.yamlPath, problem.line]);
    expect(problems).toEqual(
      expect.arrayContaining([
        ['tracker.id_prefix', 4],
        ['tracker.push', 5],
        ['tracker.terminal_states', 6],
        ['tracker.commit_author_name', 7],
      ]),
    );
    expect((error as Error).message).toContain(
      'WORKFLOW.md:4:14: tracker.id_prefix: expected a prefix of letters, digits and underscores that starts with a letter, found "my-prefix"',
    );
    expect((error as Error).message).toContain('commit_author_name needs commit_author_email as well');
    expect((error as Error).message).toContain('push: true needs commit: true');
  });
});

describe('markdownTracker plugin definition', () => {
  it('builds a tracker whose folder resolves against the source checkout, not the workflow folder', async () => {
    const text = workflowText(
      '  kind: markdown\n  directory: planning/tasks\n  id_prefix: WEB\n  review_state: In Review',
    );
    const workflow = parseWorkflow(text, path.join(root, 'config', 'WORKFLOW.md'), { plugins });
    const repositoryPath = path.join(root, 'checkout');
    const tracker = markdownTracker.create(workflow.pluginSettings.tracker as never, {
      workflowDirectory: path.join(root, 'config'),
      repositoryPath,
      stateDirectory: path.join(root, 'state'),
      logger: createSilentLogger(),
      resolveAgent: () => {
        throw new Error('not used');
      },
    }) as MarkdownTracker;
    expect(tracker.specificationVersion).toBe('tracker-v1');
    expect(tracker.tasks.directory).toBe(path.join(repositoryPath, 'planning', 'tasks'));
    const created = await tracker.createIssue({ issue: { title: 'From the workflow' } });
    expect(created.identifier).toBe('WEB-1');
    // The review state named in the section is a state tasks may move to.
    await tracker.transitionIssue({ issueId: 'WEB-1', state: 'in review' });
    expect((await tracker.getIssues({ ids: ['WEB-1'] }))[0]!.state).toBe('in review');
  });
});
