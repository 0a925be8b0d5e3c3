/** Sources a bare entry may name; `schedule` is the one that is not limited to the default branch. */
export const namedPipelineSources = new Set(['schedule', 'push', 'web', 'api', 'trigger', 'pipeline']);

/** Every pipeline `source` GitLab lists pipelines by (pipelines.md, "List project pipelines"). */
export const gitLabPipelineSources = new Set([
  ...namedPipelineSources,
  'external',
  'chat',
  'webide',
  'merge_request_event',
  'external_pull_request_event',
  'parent_pipeline',
  'ondemand_dast_scan',
  'ondemand_dast_validation',
  'security_orchestration_policy',
  'container_registry_push',
  'duo_workflow',
  'pipeline_execution_policy_schedule',
]);

/**
 * Which pipelines one `triage.workflows` entry watches on GitLab:
 * - `source`: pipelines of that source; `schedule` on every branch, the others on the default branch;
 * - `schedule`: the pipelines of the pipeline schedule with that description (case ignored);
 * - `name`: pipelines of that name (`workflow: name:` in .gitlab-ci.yml) on the default branch;
 * - `schedule-or-name`: a bare entry: the schedule with that description, else pipelines of that name.
 */
export type WatchedPipelines =
  | { kind: 'source'; source: string }
  | { kind: 'schedule'; description: string }
  | { kind: 'name'; name: string }
  | { kind: 'schedule-or-name'; text: string };

const prefixes = ['source', 'schedule', 'name'] as const;

/**
 * Reads a `triage.workflows` entry. An explicit prefix says what the rest is (`source:push`,
 * `schedule:push` for a schedule described "push", `name:Nightly`); without one, a pipeline
 * source keyword (`schedule`, `push`, `web`, `api`, `trigger`, `pipeline`) is the source, and
 * anything else a schedule's description or else a pipeline name. A description that itself
 * starts with `source:`, `schedule:` or `name:` is written with the prefix
 * (`schedule:name: nightly`).
 */
export function parseWatchedPipelines(entry: string): WatchedPipelines {
  const separator = entry.indexOf(':');
  const prefix = separator === -1 ? null : entry.slice(0, separator).trim().toLowerCase();
  const rest = separator === -1 ? '' : entry.slice(separator + 1).trim();
  const explicit = prefixes.find((candidate) => candidate === prefix);
  if (explicit) {
    if (rest === '') {
      throw new Error(
        `triage.workflows entry "${entry}": nothing follows "${explicit}:" (write e.g. ${explicit === 'source' ? 'source:push' : `${explicit}:Nightly`})`,
      );
    }
    if (explicit === 'source') {
      const source = rest.toLowerCase();
      if (!gitLabPipelineSources.has(source)) {
        throw new Error(
          `triage.workflows entry "${entry}": GitLab has no pipeline source "${rest}"; choose from ${[...gitLabPipelineSources].join(', ')}`,
        );
      }
      return { kind: 'source', source };
    }
    return explicit === 'schedule' ? { kind: 'schedule', description: rest } : { kind: 'name', name: rest };
  }
  if (namedPipelineSources.has(entry)) return { kind: 'source', source: entry };
  return { kind: 'schedule-or-name', text: entry };
}
