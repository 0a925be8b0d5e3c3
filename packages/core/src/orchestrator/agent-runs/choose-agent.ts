import { generalFocus } from '../../focus/built-in-foci.js';
import { resolveFoci } from '../../focus/resolve-foci.js';
import { resolveProfiles, selectProfile } from '../../focus/select-profile.js';
import type { AgentProfile, Focus } from '../../specifications/focus.js';
import type { FocusMatcherV1 } from '../../specifications/focus-matcher.js';
import type { Issue } from '../../specifications/issue.js';
import type { Workflow } from '../../workflow/load-workflow.js';

/** Which agent works on an issue, and why. */
export interface AgentChoice {
  focus: Focus;
  focusReasons: string[];
  profile: AgentProfile | null;
  agentKind: string;
  model: string | null;
}

/**
 * The focus the matcher picks (or the general one) and the profile for this many failures
 * (profiles escalate after failures); a focus's own agent and model win over the profile's.
 */
export async function chooseAgent(
  workflow: Workflow,
  focusMatcher: FocusMatcherV1,
  issue: Issue,
  failures: number,
): Promise<AgentChoice> {
  const match = await focusMatcher.match({ issue, foci: resolveFoci(workflow.config) });
  const focus = match?.focus ?? generalFocus;
  const profile = selectProfile(
    resolveProfiles(workflow.config),
    workflow.config.agent.escalation,
    issue,
    failures,
  );
  return {
    focus,
    focusReasons: match?.reasons ?? [],
    profile,
    agentKind: focus.agentKind ?? profile?.agentKind ?? workflow.config.agent.kind,
    model: focus.model ?? profile?.model ?? workflow.config.agent.model,
  };
}
