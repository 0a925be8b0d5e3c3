import { describeError } from '../../errors/loompa-error.js';
import type { Logger } from '../../logging/logger.js';
import type { AgentRunResult } from '../../specifications/agent-backend.js';
import type { BudgetSubject, BudgetV1 } from '../../specifications/budget.js';
import type { WorkflowRun } from '../../specifications/workflow-run.js';

export interface TriageSpendContext {
  /** The budget plugin for the current workflow; null without one. */
  budget(): BudgetV1 | null;
  logger: Logger;
}

/** What a triage agent run is, to the budget: its own subject, outside any issue. */
export function triageSubject(run: WorkflowRun, agentKind: string, model: string | null): BudgetSubject {
  return {
    issueId: `ci-triage:${run.id}`,
    issueIdentifier: `ci-triage ${run.workflow}`.slice(0, 200),
    focus: null,
    profile: null,
    agentKind,
    model,
  };
}

/** Why the budget does not allow the triage agent to run now; null when it does. */
export async function triageBudgetDenial(
  context: TriageSpendContext,
  subject: BudgetSubject,
): Promise<string | null> {
  const budget = context.budget();
  if (!budget) return null;
  const decision = await budget.check({ subject });
  return decision.allowed ? null : decision.reason;
}

/** The triage run's spend lands in the ledger like every other agent run's (once per run). */
export async function recordTriageSpend(
  context: TriageSpendContext,
  subject: BudgetSubject,
  startedAt: Date,
  result: Pick<AgentRunResult, 'usage' | 'costUsd'>,
): Promise<void> {
  const budget = context.budget();
  if (!budget) return;
  try {
    await budget.record({
      record: {
        id: `${subject.issueId}:${startedAt.getTime()}:ci-triage`,
        at: new Date(),
        issueId: subject.issueId,
        issueIdentifier: subject.issueIdentifier,
        activity: 'ci-triage',
        focus: null,
        profile: null,
        agentKind: subject.agentKind,
        model: subject.model,
        usage: result.usage,
        costUsd: result.costUsd,
      },
    });
  } catch (error) {
    context.logger.error('recording the spend of a triage run failed', {
      run: subject.issueId,
      message: describeError(error),
    });
  }
}
