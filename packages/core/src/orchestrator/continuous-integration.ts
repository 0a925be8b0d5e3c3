import type { OrchestratorEvents } from '../events/orchestrator-events.js';
import type { Logger } from '../logging/logger.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';
import type { BudgetV1 } from '../specifications/budget.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import type { OrchestratorStore } from '../store/orchestrator-store.js';
import type { Workflow } from '../workflow/load-workflow.js';
import { CheckReports } from './ci-failures/check-reports.js';
import { FlakyTestIssues } from './ci-failures/flaky-test-issues.js';
import { ScheduledTriage } from './ci-triage/scheduled-triage.js';
import type { ContinuousIntegrationSnapshot } from './orchestrator-snapshot.js';

export interface ContinuousIntegrationContext {
  workflow(): Workflow;
  tracker(): TrackerV1;
  scm(): ScmProviderV1 | null;
  agentFor(kind: string): AgentBackendV1;
  agentEnvironment(agent: AgentBackendV1): Record<string, string>;
  agentStateDirectory(key: string): Promise<string>;
  budget(): BudgetV1 | null;
  store(): OrchestratorStore;
  events: OrchestratorEvents;
  logger: Logger;
  dryRun: boolean;
  now(): number;
}

/**
 * What Loompa watches of CI besides one decision: the failed checks of each item as
 * classified, the flaky tests across change requests, and scheduled-run triage. One place
 * holds them so the snapshot can show them together.
 */
export class ContinuousIntegration {
  readonly checkReports = new CheckReports();
  readonly flakyTests: FlakyTestIssues;
  /** Failed scheduled CI runs turned into issues (`triage:` in WORKFLOW.md). */
  readonly triage: ScheduledTriage;

  constructor(context: ContinuousIntegrationContext) {
    this.flakyTests = new FlakyTestIssues(context);
    this.triage = new ScheduledTriage(context);
  }

  /** Reads flaky tests and finished triages back from the store after a start. */
  async restore(): Promise<void> {
    await this.flakyTests.restore();
    await this.triage.restore();
  }

  snapshot(livingIssueIds: ReadonlySet<string>): ContinuousIntegrationSnapshot {
    return {
      checks: this.checkReports.snapshot(livingIssueIds),
      triage: this.triage.snapshot(),
      flakyTests: this.flakyTests.snapshot(),
    };
  }
}
