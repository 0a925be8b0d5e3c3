import type { OrchestratorStore } from '../store/orchestrator-store.js';
import { type FlakyTestRecord, flakyTestSummaryOf } from './ci-failures/flaky-test-issues.js';
import { TriageRunLog } from './ci-triage/triage-run-log.js';
import type { FlakyTestSnapshot, TriageRunSnapshot } from './orchestrator-snapshot.js';

/** What an instance keeps of CI in its store, readable while no instance runs. */
export interface StoredContinuousIntegration {
  /** The latest triaged runs, newest first (as `snapshot.continuousIntegration.triage.finished`). */
  triaged: TriageRunSnapshot[];
  /** Most occurrences first (as `snapshot.continuousIntegration.flakyTests`). */
  flakyTests: FlakyTestSnapshot[];
}

/**
 * The finished triages and flaky tests a store holds, as a running instance's snapshot shows
 * them, for tools that read the store of a stopped instance (`loompa status`). Failed checks
 * and triages under way live in memory only and are not here.
 */
export async function readStoredContinuousIntegration(
  store: OrchestratorStore,
): Promise<StoredContinuousIntegration> {
  const log = new TriageRunLog();
  await log.restore(store);
  const flaky = await store.list<FlakyTestRecord>('flaky/');
  return {
    triaged: log.snapshot([]).finished,
    flakyTests: flaky
      .map(({ value }) => flakyTestSummaryOf(value))
      .sort((left, right) => right.occurrences - left.occurrences),
  };
}
