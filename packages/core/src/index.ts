/**
 * @loompa/core: the slot specifications every plugin implements, the errors and events
 * everything shares, and WORKFLOW.md loading. This file is the package's public face.
 */

export {
  contextOverflowError,
  mentionsContextOverflow,
  processFailureMessage,
  processStopFailure,
  rateLimitError,
} from './agents/agent-run-errors.js';
export {
  type CommandAgentSettings,
  commandAgent,
  commandAgentSettingsSchema,
  createCommandAgent,
} from './agents/command-agent.js';
export {
  type JsonObject,
  jsonObjectOrNull,
  numberOrZero,
  parseJsonObjectLine,
  readJsonObjectLine,
  stringOrNull,
} from './agents/json-values.js';
export { processOptionsForRun } from './agents/process-options-for-run.js';
export {
  type AgentExecutableDescription,
  resolveAgentExecutable,
} from './agents/resolve-agent-executable.js';
export { withRunStateDirectory } from './agents/run-state-directory.js';
export { safeEventListener } from './agents/safe-event-listener.js';
export type {
  CheckFailureReportEntry,
  CheckFailureState,
} from './change-requests/check-failure-report.js';
export {
  type CheckFailureClass,
  type CheckFailureClassification,
  type CheckFailureEvidence,
  type CheckObservation,
  classifyCheckFailure,
} from './change-requests/classify-check-failure.js';
export {
  type ChangeRequestAction,
  type ChangeRequestHistory,
  decideChangeRequestAction,
  type MergePolicy,
  newReviewFeedback,
  permissiveMergePolicy,
  type ReactionPolicy,
  reasonNotToMergeYet,
} from './change-requests/decide-change-request-action.js';
export {
  errorExcerptOf,
  type FailingTest,
  failingTestIn,
  normalizeErrorLine,
  plainLogLines,
} from './change-requests/failing-test-in-log.js';
export { tailBytes } from './change-requests/log-tail.js';
export { UnexpectedChangeError } from './change-requests/publish-guard.js';
export { NothingToPublishError } from './change-requests/publish-work.js';
export {
  buildRestrictedEnvironment,
  looksSecretName,
  matchesVariablePattern,
  type RestrictedEnvironmentOptions,
} from './environment/restricted-environment.js';
export {
  AgentBackendError,
  ControlError,
  FencedOutError,
  formatWorkflowProblem,
  HookError,
  InvalidArgumentError,
  NotImplementedError,
  PluginSpecificationError,
  PromptRenderError,
  ScmError,
  TrackerError,
  UnknownPluginKindError,
  WorkflowError,
  type WorkflowProblem,
  WorkspaceError,
} from './errors/error-classes.js';
export { describeError, LoompaError, type LoompaErrorOptions } from './errors/loompa-error.js';
export {
  type IssueEventBase,
  type OrchestratorEvent,
  type OrchestratorEventMap,
  type OrchestratorEventName,
  OrchestratorEvents,
  type ReactionKind,
} from './events/orchestrator-events.js';
export {
  createFleet,
  Fleet,
  type FleetEvent,
  type FleetOptions,
  type FleetProject,
  type FleetProjectSnapshot,
  type FleetSnapshot,
} from './fleet/fleet.js';
export { FleetSlots } from './fleet/fleet-slots.js';
export { builtInFoci, generalFocus } from './focus/built-in-foci.js';
export { createDefaultFocusMatcher } from './focus/default-focus-matcher.js';
export { resolveFoci } from './focus/resolve-foci.js';
export { resolveProfiles, selectProfile } from './focus/select-profile.js';
export { type GitResult, loompaGitIdentity, type RunGitOptions, runGit } from './git/run-git.js';
export { type WorktreeLockOptions, withWorktreeLock } from './git/worktree-lock.js';
export {
  createJsonLogger,
  createSilentLogger,
  type JsonLoggerOptions,
  type Logger,
  type LogLevel,
} from './logging/logger.js';
export {
  agentEnvironmentFor,
  agentOwnerFor,
  buildAgentEnvironment,
  forgeCredentialVariables,
  restrictedEnvironmentFor,
} from './orchestrator/agent-environment.js';
export { createInProcessRunner } from './orchestrator/agent-runs/in-process-runner.js';
export { continuationGuidance, runAttempt } from './orchestrator/agent-runs/run-attempt.js';
export {
  babysitIssueFor,
  babysitItemIdFor,
  isBabysitItemId,
} from './orchestrator/babysitting/babysit-item.js';
export {
  listBabysitRequests,
  requestBabysit,
} from './orchestrator/babysitting/babysit-requests.js';
export type { ApproveOptions, PauseOptions } from './orchestrator/control/orchestrator-control.js';
export {
  type AttemptDecision,
  type AttemptOutcome,
  compareForDispatch,
  type DispatchRules,
  decideAfterAttempt,
  decideDueRetry,
  decideReconciliation,
  failureRetryDelayMs,
  hasFreeSlot,
  ineligibilityReason,
  isActiveState,
  isTerminalState,
  type ReconciliationDecision,
  type RetryDecision,
  type SlotUsage,
  selectDispatches,
} from './orchestrator/decisions.js';
export type { LeadershipRole, LeadershipSnapshot } from './orchestrator/leadership/leadership.js';
export { createOrchestrator, Orchestrator, type OrchestratorOptions } from './orchestrator/orchestrator.js';
export type {
  AwaitingItemSnapshot,
  BabysitItemSnapshot,
  BlockedItemSnapshot,
  ContinuousIntegrationSnapshot,
  FiledIssueSnapshot,
  FlakyTestSnapshot,
  OrchestratorSnapshot,
  PauseSnapshot,
  QueuedItemSnapshot,
  RetryingItemSnapshot,
  RunningItemSnapshot,
  TriageRunSnapshot,
  TriageSnapshot,
  WorkItemPhase,
} from './orchestrator/orchestrator-snapshot.js';
export type { SharedAgentSlots } from './orchestrator/scheduler/shared-slots.js';
export {
  readStoredContinuousIntegration,
  type StoredContinuousIntegration,
} from './orchestrator/stored-continuous-integration.js';
export { findProcessesWithEnvironmentEntry } from './processes/environment-marked-processes.js';
export { type FindExecutableOptions, findExecutable, isExecutable } from './processes/find-executable.js';
export { agentOwnerVariable, terminateMarkedProcesses } from './processes/leftover-agent-processes.js';
export { processGroupExists, signalProcessGroup, terminateProcessGroup } from './processes/process-group.js';
export { isProcessAlive, readProcessStatus } from './processes/process-state.js';
export {
  type AgentProcessOptions,
  type AgentProcessOutcome,
  type AgentProcessStop,
  runAgentProcess,
} from './processes/run-agent-process.js';
export { redactedPlaceholder, redactSecrets, redactValue, registerSecret } from './secrets/redact-secrets.js';
export type {
  AgentBackendV1,
  AgentErrorKind,
  AgentEvent,
  AgentRunError,
  AgentRunLimits,
  AgentRunOptions,
  AgentRunResult,
  AgentRunStatus,
} from './specifications/agent-backend.js';
export type {
  BudgetDecision,
  BudgetLimitStatus,
  BudgetPeriod,
  BudgetStatus,
  BudgetSubject,
  BudgetV1,
  CostEntry,
  CostRecord,
  CostSource,
} from './specifications/budget.js';
export type {
  ChangeRequest,
  ChangeRequestState,
  ChangeRequestStatus,
  CheckResult,
  ContinuousIntegrationState,
  Mergeability,
  ReviewComment,
  ReviewState,
  ReviewThread,
} from './specifications/change-request.js';
export {
  addTokenUsage,
  type CallOptions,
  emptyTokenUsage,
  type MaybePromise,
  type TokenUsage,
  totalTokens,
} from './specifications/common.js';
export type { AgentProfile, Focus, FocusMatch } from './specifications/focus.js';
export type { FocusMatcherV1 } from './specifications/focus-matcher.js';
export { type Issue, type IssueReference, normalizeName } from './specifications/issue.js';
export { hasIssueKeyMarker, issueKeyMarker, withIssueKeyMarker } from './specifications/issue-key.js';
export type {
  BlockedIssueRecord,
  NotifierContext,
  NotifierResumeContext,
  NotifierV1,
} from './specifications/notifier.js';
export {
  isPluginDefinition,
  isPluginSchema,
  type PluginContext,
  type PluginDefinition,
  type PluginEntry,
  type PluginSchema,
} from './specifications/plugin.js';
export type {
  RunnerAttemptContext,
  RunnerAttemptResult,
  RunnerReactionContext,
  RunnerV1,
  RunnerWorkspaces,
} from './specifications/runner.js';
export type { MergeMethod, PushTarget, ScmProviderV1 } from './specifications/scm-provider.js';
export type {
  LeaderLeaseGrant,
  LeaderLeaseV1,
  StoreV1,
  StoreWriteOptions,
} from './specifications/store.js';
export type { NewIssue, TrackerChange, TrackerV1 } from './specifications/tracker.js';
export type { WorkflowRun } from './specifications/workflow-run.js';
export { builtInStores } from './store/built-in-stores.js';
export { createFileStore, createMemoryStore, type OrchestratorStore } from './store/orchestrator-store.js';
export { expandPathSetting } from './workflow/environment-values.js';
export {
  type LoadWorkflowOptions,
  loadWorkflow,
  parseWorkflow,
  renderWorkflowPrompt,
  type Workflow,
  type WorkflowPlugins,
} from './workflow/load-workflow.js';
export {
  defaultPromptTemplate,
  type PromptFeedback,
  type PromptVariables,
  renderPrompt,
} from './workflow/prompt-template.js';
export {
  booleanSetting,
  integerSetting,
  nameList,
  nonNegativeInteger,
  nonNegativeNumber,
  optionalString,
  positiveInteger,
  stringList,
} from './workflow/schema-helpers.js';
export { type WatchWorkflowOptions, watchWorkflow } from './workflow/watch-workflow.js';
export {
  type AgentProfileSettings,
  type FocusSettings,
  type WorkflowConfig,
  workflowConfigSchema,
} from './workflow/workflow-schema.js';
export { resolveWorkspacePath } from './workspaces/path-safety.js';
export { type HookName, type RunHookOptions, runHook } from './workspaces/run-hook.js';
export { workspaceKeyFor } from './workspaces/workspace-key.js';
export {
  type Workspace,
  WorkspaceManager,
  type WorkspaceManagerSettings,
} from './workspaces/workspace-manager.js';
