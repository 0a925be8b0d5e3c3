import { describe, expect, it } from 'vitest';
import { jobPriorityFor, queueNameFor, queueNamesServedBy, runJobId } from '../src/index.js';

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
