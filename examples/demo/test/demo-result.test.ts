import type {
  ChangeRequest,
  ChangeRequestStatus,
  OrchestratorEvent,
  OrchestratorEventMap,
  OrchestratorEventName,
} from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { summarizeTask } from '../src/demo-result.js';
import type { ReportedStatus } from '../src/status-recorder.js';

const changeRequest: ChangeRequest = {
  id: 'loompa/TASK-9',
  number: null,
  url: null,
  branch: 'loompa/TASK-9',
  baseBranch: 'main',
  title: 'TASK-9: x',
  state: 'open',
};
const issue = { issueId: 'TASK-9', issueIdentifier: 'TASK-9' };

function event<Name extends OrchestratorEventName>(
  type: Name,
  payload: OrchestratorEventMap[Name],
): OrchestratorEvent {
  return { type, at: new Date(), payload } as OrchestratorEvent;
}

function reported(
  continuousIntegration: ChangeRequestStatus['continuousIntegration']['state'],
  review: ChangeRequestStatus['review']['state'],
  state: ChangeRequestStatus['state'] = 'open',
): ReportedStatus {
  return {
    branch: changeRequest.branch,
    status: {
      state,
      headSha: 'a'.repeat(40),
      continuousIntegration: { state: continuousIntegration, checks: [] },
      review: { state: review, threads: [] },
      mergeability: 'clean',
    },
  };
}

const opened = event('change-request-opened', { ...issue, changeRequest });
const merged = event('change-request-merged', {
  ...issue,
  changeRequest: { ...changeRequest, state: 'merged' },
});
const ciFailureReaction = event('reaction-started', {
  ...issue,
  reaction: 'ci-failure',
  attempt: 1,
  headSha: null,
});

describe('a row of the closing table', () => {
  it('does not claim checks or a review the provider never reported, even when merged', () => {
    const row = summarizeTask('TASK-9', [opened, merged], []);
    expect(row).toMatchObject({ merged: true, checks: 'not run', review: 'none yet' });
  });

  it('shows what the provider last reported while open, not what it says after the merge', () => {
    const row = summarizeTask(
      'TASK-9',
      [opened, ciFailureReaction, merged],
      [reported('failure', 'none'), reported('success', 'approved'), reported('none', 'none', 'merged')],
    );
    expect(row).toMatchObject({ merged: true, checks: 'passed after 1 fix', review: 'approved' });
  });

  it('shows failed checks and a missing review on a branch that never merged', () => {
    const row = summarizeTask(
      'TASK-9',
      [opened, ciFailureReaction, ciFailureReaction],
      [reported('failure', 'none'), reported('failure', 'none')],
    );
    expect(row).toMatchObject({ merged: false, checks: 'failed after 2 fixes', review: 'none yet' });
  });

  it('shows checks without any reported check, and changes requested, as such', () => {
    const row = summarizeTask('TASK-9', [opened], [reported('none', 'changes_requested')]);
    expect(row).toMatchObject({ checks: 'none reported', review: 'changes requested' });
  });

  it('ignores statuses of other branches', () => {
    const other = { ...reported('success', 'approved'), branch: 'loompa/TASK-10' };
    expect(summarizeTask('TASK-9', [opened], [other])).toMatchObject({ checks: 'not run' });
  });
});
