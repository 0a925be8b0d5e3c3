import { createTestIssue, MockScmProvider } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import { ScmError } from '../../errors/error-classes.js';
import { createSilentLogger } from '../../logging/logger.js';
import type { ChangeRequest } from '../../specifications/change-request.js';
import { WorkspaceManager } from '../../workspaces/workspace-manager.js';
import { freshChangeRequestHistory, type WorkItemRecord } from '../work-item-record.js';
import { findOpenChangeRequest } from './find-open-change-request.js';

const issue = createTestIssue({ id: 'issue-1', identifier: 'ADO-1' });
const open: ChangeRequest = {
  id: 'cr-1',
  number: 1,
  url: null,
  branch: 'loompa/ADO-1',
  baseBranch: 'main',
  title: 'ADO-1',
  state: 'open',
};
const record: WorkItemRecord = {
  issueId: 'issue-1',
  identifier: 'ADO-1',
  failures: 0,
  sessionId: null,
  blocked: null,
  ...freshChangeRequestHistory,
};
// Naming a branch touches no git: the manager only needs its settings here.
const workspaces = new WorkspaceManager({
  repositoryPath: '/nonexistent',
  repositoryUrl: null,
  workspaceRoot: '/nonexistent/workspaces',
  branchPrefix: 'loompa/',
  stateDirectory: '/nonexistent/state',
  baseBranch: 'main',
});
const contextWith = (scm: MockScmProvider) => ({ scm, workspaces, logger: createSilentLogger() });

describe('findOpenChangeRequest', () => {
  it('looks the issue branch up on the forge when the record names none', async () => {
    const scm = new MockScmProvider({ findChangeRequest: open });
    expect(await findOpenChangeRequest(contextWith(scm), issue, record)).toBe(open);
    expect(scm.recorder.callsOf('findChangeRequest')).toEqual([{ branch: 'loompa/ADO-1' }]);
  });

  it('trusts the change request on record without asking the forge', async () => {
    const scm = new MockScmProvider({});
    expect(await findOpenChangeRequest(contextWith(scm), issue, { ...record, changeRequest: open })).toBe(
      open,
    );
    expect(scm.recorder.calls).toEqual([]);
  });

  it('finds nothing for a closed change request, none at all, or a failed lookup', async () => {
    const closed = { ...open, state: 'closed' as const };
    expect(
      await findOpenChangeRequest(
        contextWith(new MockScmProvider({ findChangeRequest: closed })),
        issue,
        record,
      ),
    ).toBeNull();
    expect(
      await findOpenChangeRequest(
        contextWith(new MockScmProvider({ findChangeRequest: null })),
        issue,
        record,
      ),
    ).toBeNull();
    const failing = new MockScmProvider({
      findChangeRequest: () => {
        throw new ScmError('forge unreachable');
      },
    });
    expect(await findOpenChangeRequest(contextWith(failing), issue, record)).toBe('lookup-failed');
  });
});
