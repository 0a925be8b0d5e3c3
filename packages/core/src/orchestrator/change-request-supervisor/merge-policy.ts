import type { MergePolicy } from '../../change-requests/decide-change-request-action.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { Workflow } from '../../workflow/load-workflow.js';

/**
 * A forge registers checks seconds after a push and usually protects its base branch with a
 * review: without a provider's own defaults, assume that much.
 */
export const forgeMergeDefaults = { requiredApprovals: 1, checksSettleMs: 60_000 };

/** The merge rules in force: the workflow's `scm.*` keys over the provider's defaults. */
export function mergePolicyFor(workflow: Workflow, scm: ScmProviderV1): MergePolicy {
  const settings = workflow.config.scm;
  const defaults = scm.mergeDefaults ?? forgeMergeDefaults;
  return {
    requiredChecks: settings.required_checks,
    requiredApprovals: settings.required_approvals ?? defaults.requiredApprovals,
    checksSettleMs: settings.checks_settle_ms ?? defaults.checksSettleMs,
    allowWithoutChecks: settings.allow_merge_without_checks,
  };
}
