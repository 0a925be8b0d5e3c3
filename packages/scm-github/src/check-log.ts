import { tailBytes } from '@loompa/core';
import type { LoompaOctokitInstance } from '@loompa/github-client';
import { plainActionsLog } from './log-tail.js';

interface CheckRunDetail {
  id: number;
  name: string;
  conclusion: string | null;
  app?: { slug?: string } | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null } | null;
}

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    statuses.includes((error as { status?: number }).status ?? -1)
  );
}

/** What a check run's annotations and output say, for a check without a log (or whose log expired). */
async function describeCheckRun(
  octokit: LoompaOctokitInstance,
  repository: { owner: string; repo: string },
  run: CheckRunDetail,
  signal: { request?: { signal: AbortSignal } },
): Promise<string> {
  const annotations = await octokit.paginate(
    'GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations',
    {
      ...repository,
      check_run_id: run.id,
      per_page: 100,
      ...signal,
    },
  );
  const lines = [`Check "${run.name}" concluded ${run.conclusion ?? 'without a conclusion'}.`];
  for (const part of [run.output?.title, run.output?.summary, run.output?.text])
    if (part?.trim()) lines.push(part.trim());
  for (const annotation of annotations) {
    const place = `${annotation.path}:${annotation.start_line}`;
    lines.push(
      `${annotation.annotation_level ?? 'notice'} ${place}${annotation.title ? ` ${annotation.title}` : ''}: ${annotation.message ?? ''}`,
    );
  }
  return lines.join('\n');
}

/**
 * The tail of a check's log. An Actions job (its check run id is its job id) has its log
 * downloaded: GitHub answers with a 302 to a short-lived blob URL, which is followed, and only
 * the last `maxBytes` are kept. Without a log (another App, an expired log) the check run's
 * output and annotations stand in; a commit status has only its description.
 */
export async function readCheckLog(
  octokit: LoompaOctokitInstance,
  options: {
    owner: string;
    repo: string;
    checkId: string;
    headSha: string | null;
    maxBytes: number;
    abortSignal?: AbortSignal | undefined;
  },
): Promise<string> {
  const repository = { owner: options.owner, repo: options.repo };
  const signal = options.abortSignal ? { request: { signal: options.abortSignal } } : {};
  const separator = options.checkId.indexOf(':');
  const kind = options.checkId.slice(0, separator);
  const id = options.checkId.slice(separator + 1);
  if (kind === 'status') {
    if (!options.headSha) return tailBytes(`Commit status "${id}" failed.`, options.maxBytes);
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
      ...repository,
      ref: options.headSha,
      per_page: 100,
      ...signal,
    });
    const status = data.statuses.find((candidate) => candidate.context === id);
    const text = [
      `Commit status "${id}" is ${status?.state ?? 'unknown'}: ${status?.description ?? 'no description'}.`,
      status?.target_url ? `Its log lives with the service that set it: ${status.target_url}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return tailBytes(text, options.maxBytes);
  }
  if (kind !== 'check-run' || !/^\d+$/.test(id)) {
    throw new Error(
      `"${options.checkId}" is not a GitHub check id (expected check-run:<id> or status:<context>)`,
    );
  }
  const { data: run } = await octokit.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', {
    ...repository,
    check_run_id: Number(id),
    ...signal,
  });
  if (run.app?.slug === 'github-actions') {
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', {
        ...repository,
        job_id: Number(id),
        ...signal,
      });
      const log = typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString('utf8');
      return tailBytes(plainActionsLog(log), options.maxBytes);
    } catch (error) {
      // 404: no log (yet), 410: expired; the annotations still say what failed.
      if (!isStatus(error, 404, 410)) throw error;
    }
  }
  return tailBytes(
    await describeCheckRun(octokit, repository, run as CheckRunDetail, signal),
    options.maxBytes,
  );
}
