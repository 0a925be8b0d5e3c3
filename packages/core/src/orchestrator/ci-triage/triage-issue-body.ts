import { errorExcerptOf } from '../../change-requests/failing-test-in-log.js';
import type { WorkflowRun } from '../../specifications/workflow-run.js';
import { markdownCodeBlock, singleLine } from '../ci-failures/markdown-code-block.js';
import type { FailedJob, TriageAnalysis } from './triage-analysis.js';

/** The issue filed for a new root cause: the run, the agent's findings and each failed job's log. */
export function triageIssueBody(
  run: WorkflowRun,
  jobs: readonly FailedJob[],
  analysis: TriageAnalysis,
  fingerprint: string,
): string {
  return [
    `<!-- loompa:ci-triage ${fingerprint} -->`,
    `The scheduled workflow "${singleLine(run.workflow, 100)}" failed on ${singleLine(run.branch, 100)} at \`${run.headSha}\`${run.url ? ` (${run.url})` : ''}. A read-only agent run looked at the failure:`,
    `**Root cause:** ${singleLine(analysis.rootCause, 500)}`,
    `**Likely culprit commit:** ${analysis.culpritCommit ? `\`${analysis.culpritCommit}\`` : 'unknown'}`,
    `**Suggested fix:** ${singleLine(analysis.suggestedFix, 1000)}`,
    '## Failed jobs',
    ...jobs.map(
      (job) =>
        `### ${singleLine(job.name, 100)}${job.url ? ` (${job.url})` : ''}\n\n${markdownCodeBlock(errorExcerptOf(job.logTail, 30))}`,
    ),
    '## The agent’s analysis',
    markdownCodeBlock(analysis.text),
    'Later failures with the same cause are added here as comments.',
  ].join('\n\n');
}
