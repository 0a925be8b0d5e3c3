import { createTestIssue } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../specifications/issue.js';
import { workflowConfigSchema } from '../workflow/workflow-schema.js';
import { resolveProfiles, selectProfile } from './select-profile.js';

const config = workflowConfigSchema.parse({
  agent: {
    profiles: [
      { name: 'audit', kind: 'claude', model: 'opus', types: ['Security'] },
      { name: 'urgent', model: 'sonnet', priority_min: 1, priority_max: 1 },
      { name: 'migration', model: 'sonnet', keywords: ['migration', 'schema change'] },
      { name: 'middle', model: 'haiku-plus', priority_min: 2, priority_max: 3 },
      { name: 'fast', model: 'haiku' },
      { name: 'standard', model: 'sonnet' },
      { name: 'strong', model: 'opus' },
    ],
    escalation: ['fast', 'standard', 'strong'],
  },
});
const profiles = resolveProfiles(config);
const escalation = config.agent.escalation;

const pick = (issue: Partial<Issue>, failures = 0) =>
  selectProfile(profiles, escalation, createTestIssue({ title: 'Plain work', ...issue }), failures)?.name ??
  null;

describe('resolveProfiles', () => {
  it('turns the workflow profiles into spec form', () => {
    expect(profiles[0]).toEqual({
      name: 'audit',
      agentKind: 'claude',
      model: 'opus',
      types: ['security'],
      keywords: [],
      priority: { min: null, max: null },
    });
    expect(profiles[1]?.priority).toEqual({ min: 1, max: 1 });
  });
});

describe('selectProfile', () => {
  it('picks the first profile whose criteria all match', () => {
    expect(pick({ type: 'security', priority: 1 })).toBe('audit');
    expect(pick({ type: 'bug', priority: 1 })).toBe('urgent');
    expect(pick({ title: 'Database migration', priority: 4 })).toBe('migration');
    expect(pick({ priority: 4 })).toBe('fast');
    expect(pick({ priority: null })).toBe('fast');
  });

  it('matches keywords as whole words or phrases in the title or description', () => {
    expect(pick({ title: 'Plan', description: 'needs a MIGRATION first' })).toBe('migration');
    expect(pick({ title: 'Review the schema change' })).toBe('migration');
    expect(pick({ title: 'Post-migration cleanup' })).toBe('migration');
    expect(pick({ title: 'Old migrations' })).toBe('fast');
    expect(pick({ title: 'The schema changed' })).toBe('fast');
  });

  it('serves an inclusive priority range and skips issues without a priority', () => {
    expect(pick({ priority: 2 })).toBe('middle');
    expect(pick({ priority: 3 })).toBe('middle');
    expect(pick({ priority: 4 })).toBe('fast');
    const onlyRanges = profiles.filter((profile) => profile.priority.min !== null);
    expect(selectProfile(onlyRanges, [], createTestIssue({ priority: null }), 0)).toBeNull();
  });

  it('escalates one step along agent.escalation per failure and stays on the last', () => {
    expect([0, 1, 2, 3, 10].map((failures) => pick({ priority: 4 }, failures))).toEqual([
      'fast',
      'standard',
      'strong',
      'strong',
      'strong',
    ]);
    // From the middle of the order, the next step is the one after it.
    const fromStandard = selectProfile(
      profiles.filter((profile) => profile.name !== 'fast'),
      escalation,
      createTestIssue({ priority: 4 }),
      1,
    );
    expect(fromStandard?.name).toBe('strong');
  });

  it('escalates from the profile that matched, or from none into the first step', () => {
    const tiers = profiles.filter((profile) => escalation.includes(profile.name));
    const docsOnlyFast = { ...tiers[0]!, types: ['docs'] };
    const issue = createTestIssue({ type: 'bug' });
    const narrow = [docsOnlyFast, ...tiers.slice(1)];
    expect(selectProfile(narrow, escalation, issue, 0)?.name).toBe('standard');
    expect(selectProfile(narrow, escalation, issue, 1)?.name).toBe('strong');
    expect(selectProfile([docsOnlyFast], escalation, issue, 0)).toBeNull();
    expect(selectProfile([docsOnlyFast], escalation, issue, 1)?.name).toBe('fast');
  });

  it('keeps the chosen profile when there is no escalation order', () => {
    expect(selectProfile(profiles, [], createTestIssue({ priority: 4 }), 3)?.name).toBe('fast');
  });

  it('is null when the workflow has no profiles', () => {
    expect(selectProfile([], [], createTestIssue(), 0)).toBeNull();
    expect(selectProfile([], [], createTestIssue(), 2)).toBeNull();
    expect(resolveProfiles(workflowConfigSchema.parse({}))).toEqual([]);
  });
});
