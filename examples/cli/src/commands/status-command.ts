import path from 'node:path';
import {
  createFileStore,
  type OrchestratorSnapshot,
  type OrchestratorStore,
  readStoredContinuousIntegration,
  type Workflow,
} from '@loompa/core';
import {
  renderContinuousIntegration,
  renderStoredContinuousIntegration,
} from '../continuous-integration-view.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { readLiveInstanceRecord } from '../instance-record.js';
import { loadCliWorkflow } from '../loompa-plugin-schemas.js';
import { renderSnapshot } from '../progress-view.js';
import { renderTable } from '../render-table.js';
import { describeStartFailure, resolveWorkflowPath, stateDirectoryOf } from '../workflow-file.js';
import { withWorkflowStore } from '../workflow-store.js';

export interface StatusCommandOptions {
  url?: string;
  stateDir?: string;
  json?: boolean;
}

/**
 * The facts the orchestrator keeps per issue in its store. Read defensively: the store's
 * format belongs to core, and this view only shows what it finds.
 */
interface StoredWorkItem {
  identifier?: string;
  failures?: number;
  blocked?: { reason?: string; since?: string } | null;
  changeRequest?: { branch?: string; url?: string | null } | null;
  publishPending?: boolean;
  ciAttempts?: number;
  reviewAttempts?: number;
  conflictAttempts?: number;
}

async function fetchSnapshot(baseUrl: string): Promise<OrchestratorSnapshot> {
  const response = await fetch(new URL('/api/v1/state', baseUrl), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${baseUrl} answered ${response.status} ${response.statusText}`);
  return (await response.json()) as OrchestratorSnapshot;
}

function describeStoredItem(item: StoredWorkItem): string {
  if (item.blocked) return `blocked: ${item.blocked.reason ?? 'needs a person'}`;
  if (item.changeRequest) return `change request open on ${item.changeRequest.branch ?? '?'}`;
  if (item.publishPending) return 'finished, waiting to be published';
  if (item.failures) return `${item.failures} failed attempts`;
  return 'idle';
}

/** `loompa status`: the live snapshot of a running instance, or what the state directory holds. */
export async function statusCommand(
  workflowArgument: string | undefined,
  options: StatusCommandOptions,
): Promise<ExitCode> {
  const write = (text: string) => process.stdout.write(`${text}\n`);
  try {
    let url = options.url ?? null;
    let stateDirectory = options.stateDir ? path.resolve(options.stateDir) : null;
    let workflow: Workflow | null = null;
    if (!url && !stateDirectory) {
      workflow = await loadCliWorkflow(resolveWorkflowPath(workflowArgument));
      stateDirectory = stateDirectoryOf(workflow, undefined);
    }
    if (!url && stateDirectory) url = (await readLiveInstanceRecord(stateDirectory))?.url ?? null;
    if (url) {
      const snapshot = await fetchSnapshot(url);
      if (options.json) {
        write(JSON.stringify(snapshot));
        return exitCodes.success;
      }
      const now = new Date();
      write(`Running instance at ${url}\n${renderSnapshot(snapshot, now)}`);
      const continuousIntegration = renderContinuousIntegration(snapshot.continuousIntegration, now);
      if (continuousIntegration) write(continuousIntegration);
      return exitCodes.success;
    }
    // The workflow's store (Redis with `store: { kind: redis }`); with only --state-dir, its files.
    const read = async (store: OrchestratorStore) => ({
      records: await store.list<StoredWorkItem>('item/'),
      continuousIntegration: await readStoredContinuousIntegration(store),
    });
    const { records, continuousIntegration } = workflow
      ? await withWorkflowStore(workflow, stateDirectory!, read)
      : await read(createFileStore(path.join(stateDirectory!, 'store')));
    if (options.json) {
      write(
        JSON.stringify({
          running: false,
          stateDirectory,
          items: records.map((record) => record.value),
          continuousIntegration,
        }),
      );
      return exitCodes.success;
    }
    write(`No running instance (start one with \`loompa run --port 0\`). State in ${stateDirectory}:`);
    if (records.length === 0) {
      write('No work recorded yet.');
    } else {
      write(
        renderTable(
          ['Issue', 'State', 'Failures', 'Reactions (ci/review/conflict)'],
          records.map(({ value }) => [
            value.identifier ?? '?',
            describeStoredItem(value),
            String(value.failures ?? 0),
            `${value.ciAttempts ?? 0}/${value.reviewAttempts ?? 0}/${value.conflictAttempts ?? 0}`,
          ]),
        ),
      );
    }
    const storedCi = renderStoredContinuousIntegration(continuousIntegration, new Date());
    if (storedCi) write(storedCi);
    return exitCodes.success;
  } catch (error) {
    for (const line of describeStartFailure(error)) process.stderr.write(`${line}\n`);
    return exitCodes.failure;
  }
}
