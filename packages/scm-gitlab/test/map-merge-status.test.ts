import { describe, expect, it } from 'vitest';
import { discussionsToThreads, mapDetailedMergeStatus, reviewState } from '../src/index.js';

describe('mapDetailedMergeStatus', () => {
  it.each([
    ['mergeable', 'clean'],
    ['checking', 'computing'],
    ['unchecked', 'computing'],
    ['preparing', 'computing'],
    ['approvals_syncing', 'computing'],
    ['conflict', 'conflict'],
    ['need_rebase', 'behind'],
    ['ci_still_running', 'blocked'],
    ['not_approved', 'blocked'],
    ['requested_changes', 'blocked'],
    ['discussions_not_resolved', 'blocked'],
    ['draft_status', 'blocked'],
    ['blocked_status', 'blocked'],
    ['not_open', 'unknown'],
    ['a_value_gitlab_adds_next_year', 'unknown'],
  ])('%s → %s', (status, expected) => {
    expect(mapDetailedMergeStatus(status)).toBe(expected);
  });

  it('never says clean without a status, or when GitLab also reports conflicts', () => {
    expect(mapDetailedMergeStatus(undefined)).toBe('unknown');
    expect(mapDetailedMergeStatus(null)).toBe('unknown');
    expect(mapDetailedMergeStatus('mergeable', { hasConflicts: true })).toBe('conflict');
  });
});

describe('discussionsToThreads', () => {
  it('keeps resolvable discussions, with file and line from diff notes, and drops plain and system notes', () => {
    const threads = discussionsToThreads([
      { id: 'plain', individual_note: true, notes: [{ id: 1, body: 'status', resolvable: false }] },
      {
        id: 'diff',
        notes: [
          {
            id: 2,
            body: 'Rename this',
            resolvable: true,
            resolved: false,
            author: { username: 'carol' },
            created_at: '2026-01-01T00:00:00Z',
            position: { new_path: 'src/a.ts', new_line: 7 },
          },
          { id: 3, body: 'changed the line', system: true, resolvable: false },
        ],
      },
    ]);
    expect(threads).toEqual([
      {
        id: 'diff',
        path: 'src/a.ts',
        line: 7,
        resolved: false,
        comments: [
          { id: '2', author: 'carol', body: 'Rename this', createdAt: new Date('2026-01-01T00:00:00Z') },
        ],
      },
    ]);
  });
});

describe('reviewState', () => {
  it('puts requested changes before approvals, and needs every required approval', () => {
    expect(
      reviewState({ approved_by: [{ user: { username: 'a' } }], approvals_left: 0 }, [
        { state: 'requested_changes' },
      ]),
    ).toBe('changes_requested');
    expect(reviewState({ approved_by: [{ user: { username: 'a' } }], approvals_left: 1 }, [])).toBe('none');
    expect(reviewState({ approved_by: [{ user: { username: 'a' } }], approvals_left: 0 }, [])).toBe(
      'approved',
    );
    expect(reviewState({ approved_by: [], approvals_left: 0 }, [])).toBe('none');
  });
});
