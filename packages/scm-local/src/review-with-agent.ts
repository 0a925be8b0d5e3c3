import { type AgentBackendV1, buildRestrictedEnvironment } from '@loompa/core';
import { parseReviewAnswer, type ReviewAnswer } from './parse-review-answer.js';
import { runGit } from './run-git.js';
import type { TemporaryWorktrees } from './temporary-worktree.js';

export interface AgentReviewer {
  agent: AgentBackendV1;
  model: string | null;
  prompt: string | null;
  name: string;
  maxTurns: number;
  timeoutMs: number;
  maxDiffBytes: number;
  /** The reviewer's environment; by default core's restricted policy with what the agent declares. */
  environment?: () => Record<string, string>;
}

export interface ReviewWithAgentOptions {
  reviewer: AgentReviewer;
  repositoryPath: string;
  worktrees: TemporaryWorktrees;
  /** The agent's own state (home, sessions), kept between reviews. */
  agentStateDirectory: string;
  baseSha: string;
  headSha: string;
  title: string;
  body: string;
  abortSignal?: AbortSignal;
}

export type AgentReviewOutcome = { answer: ReviewAnswer; error: null } | { answer: null; error: string };

/**
 * Shows the reviewer agent the change (the diff from the merge base to the head, plus the
 * files themselves in a clean worktree of the head) and reads its verdict.
 */
export async function reviewWithAgent(options: ReviewWithAgentOptions): Promise<AgentReviewOutcome> {
  const { reviewer } = options;
  const diff = await runGit(
    ['diff', '--no-color', '--no-ext-diff', `${options.baseSha}...${options.headSha}`],
    {
      cwd: options.repositoryPath,
    },
  );
  const prompt = buildReviewPrompt(options, cutDiff(diff.stdout, reviewer.maxDiffBytes));
  const result = await options.worktrees.withWorktree(options.headSha, (cwd) =>
    reviewer.agent.run({
      prompt,
      cwd,
      ...(reviewer.model ? { model: reviewer.model } : {}),
      env: reviewer.environment?.() ?? reviewerEnvironment(reviewer.agent),
      stateDirectory: options.agentStateDirectory,
      limits: { maxTurns: reviewer.maxTurns, runTimeoutMs: reviewer.timeoutMs },
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    }),
  );
  if (result.status !== 'completed') {
    return {
      answer: null,
      error: `the reviewer agent ${result.status}: ${result.error?.message ?? 'no reason given'}`,
    };
  }
  const answer = parseReviewAnswer(result.finalText ?? '');
  if (!answer)
    return {
      answer: null,
      error: 'the reviewer agent answered without a verdict (APPROVED or NEEDS_CHANGES)',
    };
  return { answer, error: null };
}

function cutDiff(diff: string, maxBytes: number): string {
  const bytes = Buffer.from(diff, 'utf8');
  if (bytes.length <= maxBytes) return diff;
  const kept = bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return `${kept}\n[diff cut at ${maxBytes} of ${bytes.length} bytes; read the files in the working directory for the rest]\n`;
}

function buildReviewPrompt(options: ReviewWithAgentOptions, diff: string): string {
  const extra = options.reviewer.prompt?.trim()
    ? `\n\nReview instructions:\n${options.reviewer.prompt.trim()}\n`
    : '';
  return `You are reviewing a change request. The working directory holds the changed code at its
head commit; do not modify any file.

Title: ${options.title}

${options.body.trim()}
${extra}
Answer with a verdict on a line of its own, APPROVED or NEEDS_CHANGES, then, when changes
are needed, one comment per line:
- path/to/file.ext:LINE: what must change
- path/to/file.ext: a remark about the whole file
- a remark about the whole change

Diff (merge base ${options.baseSha.slice(0, 12)} to head ${options.headSha.slice(0, 12)}):

\`\`\`diff
${diff}
\`\`\`
`;
}

/** Core's restricted policy with the names the reviewer's backend declares (its model settings and key). */
function reviewerEnvironment(agent: AgentBackendV1): Record<string, string> {
  return buildRestrictedEnvironment({
    source: process.env,
    declaredNames: [...(agent.environmentVariables ?? []), ...(agent.secretEnvironmentVariables ?? [])],
  });
}
