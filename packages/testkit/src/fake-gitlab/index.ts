export {
  createFakeGitLab,
  type FakeGitLab,
  type FakeGitLabFault,
  type FakeGitLabHeldAnswers,
  type FakeGitLabOptions,
  type FakeGitLabProjectOptions,
  type FakeGitLabRequestRecord,
  type FakeGitLabSeedIssue,
} from './create-fake-gitlab.js';
export {
  type FakeGitLabFailureReason,
  type FakeGitLabIssue,
  type FakeGitLabJob,
  type FakeGitLabJobOutcome,
  type FakeGitLabMergeRequest,
  type FakeGitLabPipeline,
  type FakeGitLabPipelineSchedule,
  type FakeGitLabPipelineSource,
  type FakeGitLabPipelineStatus,
  type FakeGitLabProject,
  type FakeGitLabUser,
  fakeGitLabFailureReasons,
} from './fake-gitlab-model.js';
export type {
  FakeGitLabCommitContext,
  FakeGitLabContinuousIntegration,
  FakeGitLabJobDefinition,
  FakeGitLabPipelineDefinition,
} from './fake-gitlab-pipelines.js';
export type { FakeGitLabWebhookDelivery } from './fake-gitlab-service.js';
