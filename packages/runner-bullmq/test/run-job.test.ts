import { describe, expect, it } from 'vitest';
import { jobPriorityFor, queueNameFor, queueNamesServedBy, reactionJobId, runJobId } from '../src/index.js';

describe('run jobs', () => {
  it('derives one job id per repository, issue and attempt, safe for BullMQ whatever the tracker id holds', () => {
    const id = runJobId('git@example.com:team/app.git', 'gid://tracker/Issue/42:x', null);
    expect(id).toMatch(/^run-[0-9a-f]{16}-0$/);
    expect(runJobId('git@example.com:team/app.git', 'gid://tracker/Issue/42:x', null)).toBe(id);
    expect(runJobId('git@example.com:team/app.git', 'gid://tracker/Issue/42:x', 2)).toBe(
      id.replace(/-0$/, '-2'),
    );
    expect(runJobId('git@example.com:team/other.git', 'gid://tracker/Issue/42:x', null)).not.toBe(id);
  });

  it("names a run by core's run id, the same for every leader that dispatches it, hashed when not plain", () => {
    const url = 'git@example.com:team/app.git';
    const id = runJobId(url, 'issue-1', '0-7d1f0c2e-5a4b-4c3d-9e8f-0123456789ab');
    expect(id).toMatch(/^run-[0-9a-f]{16}-0-7d1f0c2e-5a4b-4c3d-9e8f-0123456789ab$/);
    expect(runJobId(url, 'issue-1', '0-7d1f0c2e-5a4b-4c3d-9e8f-0123456789ab')).toBe(id);
    expect(runJobId(url, 'issue-1', '0-another')).not.toBe(id);
    expect(runJobId(url, 'issue-1', 'run:with spaces/and:colons')).toMatch(/^run-[0-9a-f]{16}-[0-9a-f]{16}$/);
  });

  it('derives one reaction job id per item, reaction kind, answered head, round and agent run', () => {
    const url = 'git@example.com:team/app.git';
    const answering = { reaction: 'ci-failure' as const, head: 'a'.repeat(40), round: 1, turn: 1 };
    const id = reactionJobId(url, 'issue-1', answering);
    expect(id).toMatch(/^reaction-[0-9a-f]{16}-1-1$/);
    expect(reactionJobId(url, 'issue-1', { ...answering })).toBe(id);
    const others = [
      reactionJobId(url, 'issue-2', answering),
      reactionJobId(url, 'issue-1', { ...answering, reaction: 'review' }),
      reactionJobId(url, 'issue-1', { ...answering, head: 'b'.repeat(40) }),
      reactionJobId(url, 'issue-1', { ...answering, round: 2 }),
      reactionJobId(url, 'issue-1', { ...answering, turn: 2 }),
      runJobId(url, 'issue-1', 1),
    ];
    expect(new Set([id, ...others]).size).toBe(others.length + 1);
  });

  it('sends labelled runs to their own queue, and a worker serves every subset of its labels', () => {
    expect(queueNameFor('loompa-runs', [])).toBe('loompa-runs');
    expect(queueNameFor('loompa-runs', [' GPU', 'docker', 'gpu'])).toBe('loompa-runs.docker+gpu');
    expect(queueNamesServedBy('loompa-runs', ['gpu', 'docker']).sort()).toEqual(
      ['loompa-runs', 'loompa-runs.docker', 'loompa-runs.docker+gpu', 'loompa-runs.gpu'].sort(),
    );
    expect(() =>
      queueNamesServedBy(
        'q',
        Array.from({ length: 9 }, (_, index) => `l${index}`),
      ),
    ).toThrow(/8 labels/);
  });

  it('serves urgent issues first and issues without a priority last', () => {
    expect(jobPriorityFor({ priority: 1 })).toBeLessThan(jobPriorityFor({ priority: 4 }));
    expect(jobPriorityFor({ priority: 4 })).toBeLessThan(jobPriorityFor({ priority: null }));
  });
});
