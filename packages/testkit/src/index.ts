/**
 * @loompa/testkit: `Mock*` implementations of every slot, conformance suites every plugin
 * runs, and (as they arrive) scripted model servers and fake forges.
 */

export {
  type AgentBackendConformanceFixture,
  type AgentBackendConformanceOptions,
  testAgentBackend,
} from './conformance/test-agent-backend.js';
export {
  type ConformanceFileChange,
  type ScmProviderConformanceFixture,
  type ScmProviderConformanceOptions,
  testScmProvider,
} from './conformance/test-scm-provider.js';
export {
  type SeedIssue,
  type TrackerConformanceFixture,
  type TrackerConformanceOptions,
  testTracker,
} from './conformance/test-tracker.js';
export type { FakeIdentity } from './fake-github/fake-credentials.js';
export type {
  FakeCheckRun,
  FakeComment,
  FakeCommitStatus,
  FakeGitHubModel,
  FakeIssue,
  FakeLabel,
  FakePullRequestPart,
  FakeRepository,
  FakeReview,
  FakeReviewComment,
  FakeReviewThread,
} from './fake-github/fake-github-model.js';
export {
  createFakeGitHub,
  FakeGitHub,
  type FakeGitHubOptions,
  type FakeGitHubRequest,
  type SeedIssueFields,
} from './fake-github/fake-github-server.js';
export type { FakeGitHubActions, FakeGitHubActionsJob } from './fake-github/fake-pull-requests.js';
export type { FakeGitHubFault, FaultMatch } from './fake-github/injected-faults.js';
export type { FakeWebhook, FakeWebhookDelivery, ManualDelivery } from './fake-github/webhook-deliveries.js';
export * from './fake-gitlab/index.js';
export { freePort } from './free-port.js';
export {
  createTestRunResult,
  MockAgentBackend,
  type MockAgentBackendSettings,
} from './mocks/mock-agent-backend.js';
export { MockBudget, type MockBudgetSettings } from './mocks/mock-budget.js';
export { MockFocusMatcher } from './mocks/mock-focus-matcher.js';
export { type MockCall, MockCallRecorder, type MockResponse } from './mocks/mock-method.js';
export { MockScmProvider, type MockScmProviderSettings } from './mocks/mock-scm-provider.js';
export { MockTracker, type MockTrackerComment, type MockTrackerSettings } from './mocks/mock-tracker.js';
export { createTestIssue } from './mocks/test-issue.js';
export {
  type ConversationView,
  type ModelScript,
  type RecordedRequest,
  type ScriptedToolAction,
  type ScriptedTurn,
  type ScriptedUsage,
  scriptedCostUsd,
} from './model-servers/model-script.js';
export { createScriptedAnthropicServer } from './model-servers/scripted-anthropic-server.js';
export { createScriptedOpenAIServer } from './model-servers/scripted-openai-server.js';
export { createScriptedResponsesServer } from './model-servers/scripted-responses-server.js';
export type { ScriptedModelServer } from './model-servers/scripted-server.js';
export {
  ensureRedisServerInstalled,
  startRedisServer,
  type TestRedisServer,
} from './redis/redis-server.js';
export {
  createWebhookReceiver,
  type ReceivedWebhook,
  type WebhookAnswer,
  type WebhookReceiver,
} from './webhook-receiver/webhook-receiver.js';
