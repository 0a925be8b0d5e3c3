/**
 * A focus is a role the agent takes for an issue (bug investigator, test engineer, …):
 * a prompt addendum plus optional model and agent overrides, chosen by a focus matcher.
 */
export interface Focus {
  /** Key in WORKFLOW.md's `foci:` map, e.g. `bug`. */
  name: string;
  /** One line describing the role, e.g. "bug investigator". */
  role: string;
  /** Appended to the agent's system prompt and available as `focus.instructions`. */
  instructions: string;
  /** Whole words that point to this focus in the title and description (lowercase). */
  keywords: string[];
  /** Issue types that point to this focus (lowercase). */
  types: string[];
  /** Labels that point to this focus (lowercase). */
  labels: string[];
  /** Model to use instead of the profile's. */
  model: string | null;
  /** Agent kind to use instead of the workflow's. */
  agentKind: string | null;
}

/**
 * An agent profile is a model tier: which model (and agent kind) runs an issue, picked by
 * type, keywords and priority, and escalated to the next profile after a failure.
 */
export interface AgentProfile {
  name: string;
  agentKind: string | null;
  model: string | null;
  types: string[];
  keywords: string[];
  /** Inclusive priority range this profile serves; null bounds are open. */
  priority: { min: number | null; max: number | null };
}

/** A matcher's answer: the best focus, how strongly it matched, and why. */
export interface FocusMatch {
  focus: Focus;
  score: number;
  /** Human-readable reasons, e.g. `keyword "crash" in title`. */
  reasons: string[];
}
