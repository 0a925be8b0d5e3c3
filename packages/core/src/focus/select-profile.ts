import type { AgentProfile } from '../specifications/focus.js';
import { type Issue, normalizeName } from '../specifications/issue.js';
import type { WorkflowConfig } from '../workflow/workflow-schema.js';
import { containsWord } from './contains-word.js';

/** The workflow's profiles in spec form. */
export function resolveProfiles(config: WorkflowConfig): AgentProfile[] {
  return config.agent.profiles.map((profile) => ({
    name: profile.name,
    agentKind: profile.kind,
    model: profile.model,
    types: profile.types,
    keywords: profile.keywords,
    priority: { min: profile.priority_min, max: profile.priority_max },
  }));
}

function profileMatches(profile: AgentProfile, issue: Issue): boolean {
  if (
    profile.types.length > 0 &&
    (issue.type === null || !profile.types.includes(normalizeName(issue.type)))
  ) {
    return false;
  }
  if (profile.keywords.length > 0) {
    const text = `${issue.title}\n${issue.description ?? ''}`;
    if (!profile.keywords.some((keyword) => containsWord(text, keyword))) return false;
  }
  const { min, max } = profile.priority;
  if (min !== null || max !== null) {
    if (issue.priority === null) return false;
    if (min !== null && issue.priority < min) return false;
    if (max !== null && issue.priority > max) return false;
  }
  return true;
}

/**
 * The profile for an issue after `failures` failed attempts: the first profile whose type,
 * keywords and priority range all match, then one step further along `agent.escalation`
 * per failure (staying on the last). Null when the workflow defines no profiles.
 */
export function selectProfile(
  profiles: readonly AgentProfile[],
  escalation: readonly string[],
  issue: Issue,
  failures: number,
): AgentProfile | null {
  const base = profiles.find((profile) => profileMatches(profile, issue)) ?? null;
  if (failures <= 0 || escalation.length === 0) return base;
  const startIndex = base === null ? -1 : escalation.indexOf(base.name);
  const index = Math.min(startIndex + failures, escalation.length - 1);
  const escalatedName = escalation[Math.max(index, 0)];
  return profiles.find((profile) => profile.name === escalatedName) ?? base;
}
