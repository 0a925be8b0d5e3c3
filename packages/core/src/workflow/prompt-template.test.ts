import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PromptRenderError } from '../errors/error-classes.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { Issue } from '../specifications/issue.js';
import { loadWorkflow, renderWorkflowPrompt } from './load-workflow.js';
import { defaultPromptTemplate, type PromptVariables, renderPrompt } from './prompt-template.js';

const issue: Issue = {
  id: 'id-42',
  identifier: 'TASK-42',
  title: 'Crash when saving',
  description: 'Saving an empty file crashes the editor.',
  state: 'Todo',
  priority: 2,
  labels: ['bug', 'editor'],
  type: 'bug',
  assignees: ['alice'],
  url: 'https://tracker.example.invalid/TASK-42',
  createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  updatedAt: null,
  branchName: null,
  blockedBy: [],
  dispatchable: true,
};

const focus: Focus = {
  name: 'bug',
  role: 'bug investigator',
  instructions: 'Reproduce first, then fix.',
  keywords: ['crash'],
  types: ['bug'],
  labels: ['bug'],
  model: null,
  agentKind: null,
};

const profile: AgentProfile = {
  name: 'strong',
  agentKind: 'claude',
  model: 'opus',
  types: [],
  keywords: [],
  priority: { min: 1, max: 2 },
};

const firstRun: PromptVariables = { issue, attempt: null, focus: null, profile: null };

/** Calls `render` and returns the PromptRenderError it must throw. */
function renderError(render: () => unknown): PromptRenderError {
  try {
    render();
  } catch (error) {
    expect(error).toBeInstanceOf(PromptRenderError);
    return error as PromptRenderError;
  }
  throw new Error('expected the prompt to fail to render');
}

describe('renderPrompt', () => {
  it('renders the issue, focus and profile', () => {
    const prompt = renderPrompt(
      '{{ issue.identifier }} ({{ issue.labels | join: ", " }}) as {{ focus.role }} with {{ profile.model }}: {{ focus.instructions }}',
      { issue, attempt: null, focus, profile },
    );
    expect(prompt).toBe('TASK-42 (bug, editor) as bug investigator with opus: Reproduce first, then fix.');
  });

  it('renders dates as ISO strings', () => {
    expect(renderPrompt('{{ issue.createdAt }}', firstRun)).toBe('2026-01-02T03:04:05.000Z');
  });

  it('has attempt null on the first run and a number on retries', () => {
    const template =
      '{% if attempt == nil %}first run{% else %}attempt {{ attempt }}{% endif %}|{{ attempt }}|';
    expect(renderPrompt(template, firstRun)).toBe('first run||');
    expect(renderPrompt(template, { ...firstRun, attempt: 2 })).toBe('attempt 2|2|');
  });

  it('defines focus, profile and feedback as null when absent, so templates can test them', () => {
    const template =
      '{% if focus %}focus{% else %}no focus{% endif %}, {% if profile %}profile{% else %}no profile{% endif %}, {% if feedback %}{{ feedback.kind }}: {{ feedback.text }}{% else %}no feedback{% endif %}';
    expect(renderPrompt(template, firstRun)).toBe('no focus, no profile, no feedback');
    expect(
      renderPrompt(template, {
        issue,
        attempt: 1,
        focus,
        profile,
        feedback: { kind: 'ci-failure', text: 'unit tests failed' },
      }),
    ).toBe('focus, profile, ci-failure: unit tests failed');
  });

  it('names an unknown variable, with the source and line', () => {
    const error = renderError(() =>
      renderPrompt('Line one\nHello {{ issue.assignee }}', firstRun, {
        source: '/srv/WORKFLOW.md',
        lineOffset: 4,
      }),
    );
    expect(error.message).toBe('/srv/WORKFLOW.md:6:10: undefined variable: issue.assignee');
    expect(error.code).toBe('prompt_render_failed');
    expect(error.details).toEqual({ source: '/srv/WORKFLOW.md', line: 6, column: 10 });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('names an unknown top-level variable when no source is given', () => {
    const error = renderError(() => renderPrompt('{{ ticket.title }}', firstRun));
    expect(error.message).toBe('prompt:1:4: undefined variable: ticket');
  });

  it('names an unknown filter', () => {
    const error = renderError(() => renderPrompt('{{ issue.title | shout }}', firstRun, { source: 'W.md' }));
    expect(error.message).toBe('W.md:1:1: undefined filter: shout');
  });

  it('does not expose prototype properties of the data', () => {
    const error = renderError(() => renderPrompt('{{ issue.constructor }}', firstRun));
    expect(error.message).toBe('prompt:1:4: undefined variable: issue.constructor');
  });

  it('uses the default prompt for an empty or blank template', () => {
    expect(renderPrompt('', firstRun)).toBe(renderPrompt(defaultPromptTemplate, firstRun));
    expect(renderPrompt('  \n\n', firstRun)).toBe(renderPrompt(defaultPromptTemplate, firstRun));
  });

  it('renders the default prompt with the issue, a retry and feedback', () => {
    const first = renderPrompt(defaultPromptTemplate, firstRun);
    expect(first).toContain('You are working on TASK-42: Crash when saving.');
    expect(first).toContain('Saving an empty file crashes the editor.');
    expect(first).not.toContain('attempt');
    expect(first).not.toContain('feedback');
    const retry = renderPrompt(defaultPromptTemplate, {
      ...firstRun,
      attempt: 3,
      feedback: { kind: 'review', text: 'Please rename the helper.' },
    });
    expect(retry).toContain('This is attempt 3; earlier attempts did not finish the work.');
    expect(retry).toContain('Address this feedback first:\nPlease rename the helper.');
  });
});

describe('renderWorkflowPrompt', () => {
  let directory: string;
  let workflowPath: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-prompt-'));
    workflowPath = path.join(directory, 'WORKFLOW.md');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('renders the body of a WORKFLOW.md', async () => {
    await writeFile(workflowPath, '---\nagent:\n  max_turns: 3\n---\nFix {{ issue.identifier }}.\n');
    const workflow = await loadWorkflow(workflowPath, { environment: {} });
    expect(renderWorkflowPrompt(workflow, firstRun)).toBe('Fix TASK-42.\n');
  });

  it('rejects an unknown variable when the WORKFLOW.md is loaded, naming the file and line', async () => {
    await writeFile(
      workflowPath,
      [
        '---',
        'agent:',
        '  max_turns: 3',
        '---',
        '',
        'Fix {{ issue.identifier }}.',
        'Owner: {{ issue.owner }}',
      ].join('\n'),
    );
    await expect(loadWorkflow(workflowPath, { environment: {} })).rejects.toThrow(
      `Invalid workflow: ${workflowPath}:7:11: prompt template: undefined variable: issue.owner`,
    );
  });

  it('rejects an unknown filter when the WORKFLOW.md is loaded, naming the file and line', async () => {
    await writeFile(workflowPath, '---\n---\nFix it.\n{{ issue.title | shout }}\n');
    await expect(loadWorkflow(workflowPath, { environment: {} })).rejects.toThrow(
      `Invalid workflow: ${workflowPath}:4:1: prompt template: undefined filter: shout`,
    );
  });

  it('gives a WORKFLOW.md with an empty body the default prompt', async () => {
    await writeFile(workflowPath, '---\npolling:\n  interval_ms: 1000\n---\n\n   \n');
    const workflow = await loadWorkflow(workflowPath, { environment: {} });
    expect(workflow.promptTemplate).toBe(defaultPromptTemplate);
    expect(renderWorkflowPrompt(workflow, firstRun)).toContain(
      'You are working on TASK-42: Crash when saving.',
    );
  });
});
