import { createHash } from 'node:crypto';
import {
  failingTestIn,
  normalizeErrorLine,
  plainLogLines,
} from '../../change-requests/failing-test-in-log.js';
import type { WorkflowRun } from '../../specifications/workflow-run.js';
import { untrustedBlock, untrustedInputNotice } from '../../workflow/untrusted-text.js';

/** A failed job of a watched run with the end of its log. */
export interface FailedJob {
  id: string;
  name: string;
  conclusion: string | null;
  url: string | null;
  logTail: string;
}

/** What the read-only triage agent concluded, read from its final answer. */
export interface TriageAnalysis {
  rootCause: string;
  culpritCommit: string | null;
  suggestedFix: string;
  /** The agent's whole answer, for the issue. */
  text: string;
}

/**
 * The cause of a failure as far as the logs alone say: each failed job with its first failing
 * test and error (run-specific details removed), or its last error line. Two runs failing for
 * the same reason share it, so the second becomes an occurrence, not a new issue, without
 * asking the agent again.
 */
export function failureFingerprintOf(run: Pick<WorkflowRun, 'workflow'>, jobs: readonly FailedJob[]): string {
  const parts = jobs
    .map((job) => {
      const test = failingTestIn(job.logTail);
      const lastError =
        plainLogLines(job.logTail)
          .map((line) => line.trim())
          .findLast((line) => /error|fail|exception|panic/i.test(line)) ?? '';
      const signature = test
        ? `${test.testName}\n${normalizeErrorLine(test.error ?? '')}`
        : normalizeErrorLine(lastError);
      return `${job.name.toLowerCase()}\n${signature}`;
    })
    .sort();
  return createHash('sha256')
    .update([run.workflow.toLowerCase(), ...parts].join('\n--\n'))
    .digest('hex')
    .slice(0, 16);
}

/** The prompt of the read-only triage run. */
export function triagePrompt(
  run: WorkflowRun,
  jobs: readonly FailedJob[],
  recentCommits: string,
  logTailBytes: number,
): string {
  return [
    `The scheduled CI workflow "${run.workflow}" failed on ${run.ref?.startsWith('refs/tags/') ? `tag ${run.ref.slice('refs/tags/'.length)}` : run.branch} at commit ${run.headSha}${run.url ? ` (${run.url})` : ''}.`,
    'Your working directory is a checkout of that commit. This is a read-only investigation: do not edit, commit or push anything; any change you make is thrown away.',
    'Find the root cause of the failure, the commit most likely to have caused it, and a fix.',
    `Recent commits (newest first):\n${recentCommits}`,
    untrustedInputNotice,
    ...jobs.map((job) =>
      [
        `### Failed job "${job.name}"${job.conclusion ? ` (${job.conclusion})` : ''}`,
        untrustedBlock(`log of job "${job.name}"`, job.logTail, logTailBytes),
      ].join('\n'),
    ),
    [
      'End your answer with exactly these three lines (one line each), then any details:',
      'ROOT CAUSE: <one sentence>',
      'CULPRIT COMMIT: <the commit sha, or unknown>',
      'SUGGESTED FIX: <one or two sentences>',
    ].join('\n'),
  ].join('\n\n');
}

const fieldOf = (text: string, name: string): string | null => {
  const match = new RegExp(`^\\s*\\**${name}\\**\\s*:\\s*(.+)$`, 'im').exec(text);
  return match ? match[1]!.replace(/\*+$/, '').trim() : null;
};

/** Reads the agent's answer; an answer without the three lines still keeps its text. */
export function parseTriageAnswer(text: string): TriageAnalysis {
  const culprit = fieldOf(text, 'CULPRIT COMMIT');
  const commit = culprit ? (/\b[0-9a-f]{7,40}\b/i.exec(culprit)?.[0] ?? null) : null;
  return {
    rootCause: fieldOf(text, 'ROOT CAUSE') ?? 'the agent did not name a root cause',
    culpritCommit: commit,
    suggestedFix: fieldOf(text, 'SUGGESTED FIX') ?? 'none given',
    text: text.trim(),
  };
}
