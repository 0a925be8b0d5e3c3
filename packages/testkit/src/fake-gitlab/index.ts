export {
  createFakeGitLab,
  type FakeGitLab,
  type FakeGitLabFault,
  type FakeGitLabOptions,
  type FakeGitLabProjectOptions,
  type FakeGitLabRequestRecord,
  type FakeGitLabSeedIssue,
} from './create-fake-gitlab.js';
export type {
  FakeGitLabIssue,
  FakeGitLabMergeRequest,
  FakeGitLabPipeline,
  FakeGitLabPipelineStatus,
  FakeGitLabProject,
  FakeGitLabUser,
} from './fake-gitlab-model.js';
export type {
  FakeGitLabCommitContext,
  FakeGitLabContinuousIntegration,
  FakeGitLabJobDefinition,
  FakeGitLabPipelineDefinition,
} from './fake-gitlab-pipelines.js';
export type { FakeGitLabWebhookDelivery } from './fake-gitlab-service.js';
