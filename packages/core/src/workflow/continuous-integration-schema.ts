import { z } from 'zod';
import { booleanSetting, nameList, positiveInteger, stringList } from './schema-helpers.js';

/**
 * `ci:` — what Loompa does with a failing check before it resumes an agent: classify it,
 * re-run flaky and infrastructure failures once, and file flaky tests as issues.
 */
export const continuousIntegrationSectionSchema = z.object({
  classify_failures: booleanSetting
    .default(true)
    .describe(
      'Classify each failing check as code, flaky, infrastructure or unknown from its log tail and history before a CI reaction.',
    ),
  rerun_once: booleanSetting
    .default(true)
    .describe(
      'Re-run flaky and infrastructure failures once per commit (when the provider can) instead of resuming the agent; a re-run costs no fix attempt.',
    ),
  flaky_issue_after: positiveInteger
    .default(3)
    .describe(
      'Occurrences of one flaky test (failed, then passed on the same commit) after which Loompa files or updates one tracker issue for it.',
    ),
  flaky_labels: nameList.default(['flaky-test']).describe('Labels of the issues filed for flaky tests.'),
});

/**
 * `triage:` — scheduled and default-branch CI runs to watch; each new failure gets a
 * read-only agent analysis filed as one issue per root cause.
 */
export const triageSectionSchema = z.object({
  workflows: stringList
    .default([])
    .describe(
      'Scheduled or default-branch workflows to watch: GitHub Actions workflow files (`nightly.yml`); on GitLab `schedule` (every scheduled pipeline), a pipeline source (`push`, `web`, `api`, `trigger`, `pipeline`) on the default branch, or a pipeline schedule’s description (`Nightly`), else a pipeline name (`workflow:name`), each also written out as `source:push`, `schedule:Nightly` or `name:Nightly` (a schedule described `push` is `schedule:push`); with scm-local, branch names. Empty: no triage.',
    ),
  labels: nameList
    .default(['ci-triage'])
    .describe('Labels of triage issues; add an active label to let the normal loop pick them up.'),
  agent: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe('Agent kind of the read-only triage run; null: `agent.kind`.'),
  log_tail_bytes: positiveInteger
    .default(20_000)
    .describe('Bytes of each failed job log given to the triage agent.'),
  interval_ms: positiveInteger.default(300_000).describe('How often the watched workflows are listed.'),
  runs_per_check: positiveInteger
    .default(5)
    .describe('Most recent runs per workflow looked at each time; older failures are not triaged.'),
});

export type ContinuousIntegrationSettings = z.output<typeof continuousIntegrationSectionSchema>;
export type TriageSettings = z.output<typeof triageSectionSchema>;
