import { Liquid } from 'liquidjs';
import { PromptRenderError } from '../errors/error-classes.js';
import { generalFocus } from '../focus/built-in-foci.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { Issue } from '../specifications/issue.js';
import { untrustedBlock, untrustedInputNotice } from './untrusted-text.js';

/**
 * Strict Liquid: an unknown variable or filter is an error instead of an empty string, so a
 * typo in WORKFLOW.md fails loudly rather than sending the agent a prompt with holes.
 */
const liquid = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true });
// `{{ issue.description | untrusted: "issue description" }}`: see untrusted-text.ts.
liquid.registerFilter('untrusted', (value: unknown, source?: unknown) =>
  value === null || value === undefined || value === ''
    ? ''
    : untrustedBlock(typeof source === 'string' ? source : 'input', String(value)),
);

/** Used when WORKFLOW.md has no body. */
export const defaultPromptTemplate = `You are working on {{ issue.identifier }}: {{ issue.title }}.
{% if issue.description %}
${untrustedInputNotice}

{{ issue.description | untrusted: "issue description" }}
{% endif %}
{% if attempt %}This is attempt {{ attempt }}; earlier attempts did not finish the work.
{% endif %}{% if feedback %}
Address this feedback first:
{{ feedback.text }}
{% endif %}
Make the change in this repository, keep it focused on the issue, and run the relevant tests.
Do not commit or push: the orchestrator publishes your work.
`;

/** Feedback being addressed by a reaction (CI failure, review, conflict). */
export interface PromptFeedback {
  kind: 'ci-failure' | 'review' | 'conflict';
  /** The feedback rendered as text for the agent. */
  text: string;
  [key: string]: unknown;
}

/** Everything a prompt template can refer to. */
export interface PromptVariables {
  issue: Issue;
  /** Null on the first run; 1, 2, … on retries and continuations. */
  attempt: number | null;
  focus: Focus | null;
  profile: AgentProfile | null;
  feedback?: PromptFeedback | null;
}

/** A template error located in the WORKFLOW.md (line relative to the body). */
export interface TemplateSyntaxProblem {
  message: string;
  line: number | null;
  column: number | null;
}

interface LiquidTokenError {
  token?: { getPosition?: () => [number, number] };
}

function liquidPosition(error: unknown): { line: number | null; column: number | null } {
  const position = (error as LiquidTokenError).token?.getPosition?.();
  return position ? { line: position[0], column: position[1] } : { line: null, column: null };
}

/** Strips liquidjs's own `, line:1, col:4` suffix: the caller reports the position itself. */
function liquidMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, line:\d+, col:\d+$/, '').replace(/\n[\s\S]*$/, '');
}

/** Parses a template and returns its syntax problem, or null when it is valid. */
export function checkPromptTemplate(template: string): TemplateSyntaxProblem | null {
  try {
    const parsed = liquid.parse(template);
    // Render once with a complete sample so a misspelt variable (`issue.titel`) is reported
    // when the file is loaded, not when the first issue is dispatched.
    liquid.renderSync(parsed, toTemplateData(sampleVariables) as Record<string, unknown>);
    return null;
  } catch (error) {
    return { message: liquidMessage(error), ...liquidPosition(error) };
  }
}

/** Every variable a template may use, filled in: what a first run with a profile sees. */
const sampleVariables = {
  issue: {
    id: 'sample',
    identifier: 'SAMPLE-1',
    title: 'Sample issue',
    description: 'Sample description',
    state: 'todo',
    priority: 2,
    labels: ['sample'],
    type: 'feature',
    assignees: ['someone'],
    url: 'https://example.invalid/SAMPLE-1',
    createdAt: new Date(0),
    updatedAt: new Date(0),
    branchName: null,
    blockedBy: [],
    dispatchable: true,
  } satisfies Issue,
  attempt: null,
  focus: generalFocus,
  profile: {
    name: 'default',
    agentKind: null,
    model: null,
    types: [],
    keywords: [],
    priority: { min: null, max: null },
  } satisfies AgentProfile,
  feedback: null,
};

/** Plain data for Liquid: dates as ISO strings, no prototypes. */
function toTemplateData(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toTemplateData);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toTemplateData(item)]));
  }
  return value;
}

/**
 * Renders a prompt template strictly. `attempt`, `focus`, `profile` and `feedback` are
 * always defined (null when absent), so templates can test them with `{% if %}`.
 */
export function renderPrompt(
  template: string,
  variables: PromptVariables,
  location: { source?: string; lineOffset?: number } = {},
): string {
  const source = template.trim() === '' ? defaultPromptTemplate : template;
  const scope = toTemplateData({
    issue: variables.issue,
    attempt: variables.attempt,
    focus: variables.focus,
    profile: variables.profile,
    feedback: variables.feedback ?? null,
  }) as Record<string, unknown>;
  try {
    return liquid.parseAndRenderSync(source, scope);
  } catch (error) {
    const position = liquidPosition(error);
    const line = position.line === null ? null : position.line + (location.lineOffset ?? 0);
    const where = line === null ? '' : `:${line}:${position.column}`;
    throw new PromptRenderError(`${location.source ?? 'prompt'}${where}: ${liquidMessage(error)}`, {
      cause: error,
      details: { source: location.source ?? null, line, column: position.column },
    });
  }
}
