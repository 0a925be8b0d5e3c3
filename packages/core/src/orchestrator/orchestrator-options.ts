import { WorkflowError } from '../errors/error-classes.js';
import type { Logger } from '../logging/logger.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';
import type { BudgetV1 } from '../specifications/budget.js';
import type { FocusMatcherV1 } from '../specifications/focus-matcher.js';
import type { NotifierV1 } from '../specifications/notifier.js';
import type { PluginEntry } from '../specifications/plugin.js';
import type { RunnerV1 } from '../specifications/runner.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { StoreV1 } from '../specifications/store.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import type { OrchestratorStore } from '../store/orchestrator-store.js';
import type { Workflow } from '../workflow/load-workflow.js';
import type { SharedAgentSlots } from './scheduler/shared-slots.js';

/** What `createOrchestrator` takes: the workflow, the plugins by kind, and a few overrides. */
export interface OrchestratorOptions {
  /** A workflow already loaded; or give `workflowPath` to load it and hot-reload on edits. */
  workflow?: Workflow;
  workflowPath?: string;
  /** Trackers by the `tracker.kind` that selects them. */
  trackers: Record<string, PluginEntry<TrackerV1>>;
  /** SCM providers by `scm.kind`; without any, results are not published as change requests. */
  scms?: Record<string, PluginEntry<ScmProviderV1>>;
  /** Agent backends by kind; `command` is built in and need not be listed. */
  agents?: Record<string, PluginEntry<AgentBackendV1>>;
  focusMatcher?: FocusMatcherV1;
  /** Where agent runs execute; in this process by default (`@loompa/runner-bullmq` spreads them over workers). */
  runner?: RunnerV1;
  /** An agent limit shared with other orchestrators; `createFleet` gives each of its orchestrators one. */
  sharedSlots?: SharedAgentSlots;
  budget?: PluginEntry<BudgetV1>;
  /** Tells people about blocked, finished and stuck work; configured by `notifications:`. */
  notifier?: PluginEntry<NotifierV1>;
  /**
   * Durable facts: this store instead of the one `store.kind` names (a file store under the
   * state directory by default). A `StoreV1` with a leader lease makes this orchestrator one of
   * several that share it: it decides only while it leads.
   */
  store?: OrchestratorStore | StoreV1;
  /** Stores by `store.kind`, besides the built-in `file` and `memory` (e.g. `{ redis: redisStore }`). */
  stores?: Record<string, PluginEntry<StoreV1>>;
  logger?: Logger;
  /** Decide and emit events, but write nothing and start no agent. */
  dryRun?: boolean;
  /** Overrides `workspace.state_directory`. */
  stateDirectory?: string;
  /** The environment agents inherit (minus credentials); `process.env` by default. */
  environment?: NodeJS.ProcessEnv;
}

/** An orchestrator needs a workflow, given as a value or as a file to load and watch. */
export function assertWorkflowSource(options: OrchestratorOptions): void {
  if (options.workflow || options.workflowPath) return;
  throw new WorkflowError('(none)', [
    {
      yamlPath: '',
      line: null,
      column: null,
      expected: 'workflow or workflowPath',
      found: 'neither',
      message: 'createOrchestrator needs `workflow` or `workflowPath`',
    },
  ]);
}
