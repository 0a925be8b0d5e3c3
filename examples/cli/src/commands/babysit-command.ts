import { InvalidArgumentError, requestBabysit, runGit, type Workflow } from '@loompa/core';
import { createLocalScm } from '@loompa/scm-local';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { readLiveInstanceRecord } from '../instance-record.js';
import { loadCliWorkflow } from '../loompa-plugin-schemas.js';
import { describeStartFailure, resolveWorkflowPath, stateDirectoryOf } from '../workflow-file.js';
import { withWorkflowStore } from '../workflow-store.js';

export interface BabysitCommandOptions {
  stateDir?: string;
}

/**
 * The number a reference names: `12`, `#12`, `!12`, or a pull or merge request URL
 * (`…/pull/12`, `…/-/merge_requests/12`); null when it names none.
 */
export function changeRequestNumberOf(reference: string): number | null {
  const trimmed = reference.trim();
  const plain = /^[#!]?(\d+)$/.exec(trimmed);
  const fromUrl = /^https?:\/\/.+\/(?:pull|pulls|merge_requests)\/(\d+)(?:[/?#].*)?$/.exec(trimmed);
  const digits = plain?.[1] ?? fromUrl?.[1] ?? null;
  const number = digits === null ? null : Number(digits);
  return number !== null && Number.isSafeInteger(number) && number > 0 ? number : null;
}

/** scm-local: the change request of a branch someone made, opened now when it has none. */
async function localChangeRequestNumber(
  workflow: Workflow,
  stateDirectory: string,
  branch: string,
): Promise<number> {
  const scm = createLocalScm({ repositoryPath: workflow.repositoryPath!, stateDirectory });
  try {
    const existing = await scm.findChangeRequest({ branch });
    if (existing?.state === 'open' && existing.number !== null) return existing.number;
    const repository = workflow.repositoryPath!;
    const baseBranch =
      workflow.config.scm.base_branch ??
      (await runGit(['symbolic-ref', '--short', 'HEAD'], { cwd: repository })).stdout.trim();
    const subject = await runGit(['log', '-1', '--format=%s', `refs/heads/${branch}`, '--'], {
      cwd: repository,
      allowFailure: true,
    });
    const opened = await scm.openChangeRequest({
      branch,
      baseBranch,
      title: subject.exitCode === 0 && subject.stdout.trim() ? subject.stdout.trim() : branch,
      body: 'Opened by `loompa babysit` so Loompa keeps this branch green.',
    });
    return opened.number!;
  } finally {
    await scm.close();
  }
}

/**
 * `loompa babysit <number|url|branch>`: asks the workflow's orchestrator to babysit a change
 * request it did not open. The request goes into the workflow's store (the state directory's
 * files by default, one per number; Redis with `store: { kind: redis }`), where a running instance finds it on its next tick and a later start finds it too.
 */
export async function babysitCommand(
  reference: string,
  workflowArgument: string | undefined,
  options: BabysitCommandOptions,
): Promise<ExitCode> {
  const write = (text: string) => process.stdout.write(`${text}\n`);
  try {
    const workflow = await loadCliWorkflow(resolveWorkflowPath(workflowArgument));
    const stateDirectory = stateDirectoryOf(workflow, options.stateDir);
    let number = changeRequestNumberOf(reference);
    if (number === null && workflow.config.scm.kind === 'local' && !reference.includes('://')) {
      number = await localChangeRequestNumber(workflow, stateDirectory, reference.trim());
    }
    if (number === null) {
      throw new InvalidArgumentError(
        `"${reference}" names no change request: give its number (12, #12, !12) or its URL${workflow.config.scm.kind === 'local' ? ', or a branch' : ''}`,
      );
    }
    await withWorkflowStore(workflow, stateDirectory, (store) => requestBabysit(store, number));
    const live = await readLiveInstanceRecord(stateDirectory);
    if (live) {
      // Ask the running instance for a tick now; the request is in the store either way.
      await fetch(new URL('/api/v1/refresh', live.url), {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      write(`Babysitting change request ${number}: the running instance at ${live.url} takes it up now.`);
    } else {
      write(`Babysitting change request ${number}: \`loompa run\` takes it up on its next tick.`);
    }
    return exitCodes.success;
  } catch (error) {
    for (const line of describeStartFailure(error)) process.stderr.write(`${line}\n`);
    return exitCodes.failure;
  }
}
