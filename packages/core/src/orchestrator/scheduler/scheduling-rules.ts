import { normalizeName } from '../../specifications/issue.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import type { DispatchRules, SlotUsage } from '../decisions.js';

/** The tracker settings that decide whether an issue may run, for the pure decisions. */
export function dispatchRulesOf(workflow: Workflow): DispatchRules {
  const tracker = workflow.config.tracker;
  return {
    activeStates: tracker.active_states,
    terminalStates: tracker.terminal_states,
    requiredLabels: tracker.required_labels,
    assignee: tracker.assignee,
  };
}

/** The concurrency limits and what runs now, counted per normalized issue state. */
export function slotUsageOf(workflow: Workflow, runningStates: readonly string[]): SlotUsage {
  const agent = workflow.config.agent;
  const runningByState: Record<string, number> = {};
  for (const state of runningStates) {
    const key = normalizeName(state);
    runningByState[key] = (runningByState[key] ?? 0) + 1;
  }
  return {
    maxConcurrentAgents: agent.max_concurrent_agents,
    maxConcurrentAgentsByState: agent.max_concurrent_agents_by_state,
    runningTotal: runningStates.length,
    runningByState,
  };
}
