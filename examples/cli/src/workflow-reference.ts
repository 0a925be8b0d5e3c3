import os from 'node:os';
import { claudeSettingsSchema } from '@loompa/agent-claude';
import { openCodeSettingsSchema } from '@loompa/agent-opencode';
import { budgetSettingsSchema } from '@loompa/budget';
import { commandAgentSettingsSchema, workflowConfigSchema } from '@loompa/core';
import { notificationSettingsSchema } from '@loompa/notifications';
import { gitHubScmReferenceSchema, gitHubScmSettingDefaults } from '@loompa/scm-github';
import { gitLabScmReferenceSchema, gitLabScmSettingDefaults } from '@loompa/scm-gitlab';
import { localScmSettingsSchema } from '@loompa/scm-local';
import { redisStoreSettingsSchema } from '@loompa/store-redis';
import { gitHubTrackerSettingDefaults, gitHubTrackerSettingsSchema } from '@loompa/tracker-github';
import { gitLabTrackerReferenceSchema, gitLabTrackerSettingDefaults } from '@loompa/tracker-gitlab';
import { markdownTrackerSettingsSchema } from '@loompa/tracker-markdown';
import { type ZodType, z } from 'zod';

/** One documented key. */
interface ReferenceRow {
  key: string;
  defaultValue: string;
  description: string;
}

interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
}

/** Defaults as the file sees them: the machine's temporary folder is written `$TMPDIR`. */
function formatDefault(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return `\`${text.replaceAll(JSON.stringify(os.tmpdir()).slice(1, -1), '$TMPDIR')}\``;
}

function valueAt(source: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
    source,
  );
}

/**
 * Walks a zod schema (through its JSON Schema, which keeps every `.describe()`) and lists
 * every key with its description. Defaults come from parsing an empty section, so defaults
 * hidden behind preprocessing (numbers accepted as strings) are shown too.
 */
function rowsOf(schema: ZodType, prefix: string, defaults: unknown): ReferenceRow[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const rows: ReferenceRow[] = [];
  const visit = (node: JsonSchemaNode, path: string[], defaultPath: string[] | null) => {
    const objectNode = node.anyOf?.find((option) => option.properties) ?? node;
    if (objectNode.properties) {
      for (const [key, child] of Object.entries(objectNode.properties)) {
        const childPath = [...path, key];
        const fromDefaults = defaultPath === null ? undefined : valueAt(defaults, [...defaultPath, key]);
        const leaf =
          !child.properties &&
          !child.items?.properties &&
          !(typeof child.additionalProperties === 'object' && child.additionalProperties.properties);
        if (leaf || child.description) {
          rows.push({
            key: `${prefix}${childPath.join('.')}`,
            defaultValue: formatDefault(fromDefaults ?? child.default),
            description: child.description ?? '',
          });
        }
        if (!leaf) visit(child, childPath, defaultPath === null ? null : [...defaultPath, key]);
      }
      return;
    }
    if (node.items?.properties) visit(node.items, [...path.slice(0, -1), `${path.at(-1)}[]`], null);
    if (typeof node.additionalProperties === 'object' && node.additionalProperties.properties) {
      visit(node.additionalProperties, [...path, '<name>'], null);
    }
  };
  visit(root, [], []);
  return rows;
}

function table(rows: readonly ReferenceRow[]): string {
  const escapeCell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    '| key | default | meaning |',
    '| --- | --- | --- |',
    ...rows.map(
      (row) => `| \`${row.key}\` | ${escapeCell(row.defaultValue)} | ${escapeCell(row.description)} |`,
    ),
  ].join('\n');
}

function defaultsOf(schema: ZodType): unknown {
  const parsed = schema.safeParse({});
  return parsed.success ? parsed.data : {};
}

/** The WORKFLOW.md reference in markdown, generated from the schemas so it cannot drift. */
export function renderWorkflowReference(): string {
  const core = rowsOf(workflowConfigSchema, '', defaultsOf(workflowConfigSchema));
  const sections: Array<{ title: string; intro: string; rows: ReferenceRow[] }> = [
    { title: 'Core sections', intro: 'Read by the orchestrator whatever plugins are used.', rows: core },
    {
      title: '`tracker:` with `kind: markdown`',
      intro: 'Added to the core `tracker:` keys by @loompa/tracker-markdown.',
      rows: rowsOf(markdownTrackerSettingsSchema, 'tracker.', defaultsOf(markdownTrackerSettingsSchema)),
    },
    {
      title: '`tracker:` with `kind: github`',
      intro:
        'Added to the core `tracker:` keys by @loompa/tracker-github. Credentials are named by environment variable and checked by `loompa validate` without being printed; `required_labels` and `assignee` narrow the GitHub query itself.',
      rows: rowsOf(gitHubTrackerSettingsSchema, 'tracker.', gitHubTrackerSettingDefaults()),
    },
    {
      title: '`tracker:` with `kind: gitlab`',
      intro:
        'Added to the core `tracker:` keys by @loompa/tracker-gitlab. States other than open and closed are scoped labels (`status::In Progress`); moving to a `terminal_states` state closes the issue. The token is named by environment variable and checked by `loompa validate` without being printed; `required_labels`, `assignee` and `milestone` narrow the GitLab query itself.',
      rows: rowsOf(gitLabTrackerReferenceSchema, 'tracker.', gitLabTrackerSettingDefaults()),
    },
    {
      title: '`scm:` with `kind: local`',
      intro: 'Added to the core `scm:` keys by @loompa/scm-local.',
      rows: rowsOf(localScmSettingsSchema, 'scm.', defaultsOf(localScmSettingsSchema)),
    },
    {
      title: '`scm:` with `kind: github`',
      intro:
        "Added to the core `scm:` keys by @loompa/scm-github. The connection keys are the GitHub tracker's (a token or an App, named by environment variable); merges always name the checked head (`sha`), and `merge_method` is sent as is.",
      rows: rowsOf(gitHubScmReferenceSchema, 'scm.', gitHubScmSettingDefaults()),
    },
    {
      title: '`scm:` with `kind: gitlab`',
      intro:
        "Added to the core `scm:` keys by @loompa/scm-gitlab. GitLab's merge method is a project setting; `merge_method: squash` is the one choice sent with the merge, which always names the checked head (`sha`). Failed jobs carry their `failure_reason` into failure classification, flaky and infrastructure failures are retried once per head through job retry (in the fork for a merge request from one), and `triage.workflows` names scheduled pipelines (`schedule`, a schedule's description, a pipeline name or source; see the CI section).",
      rows: rowsOf(gitLabScmReferenceSchema, 'scm.', gitLabScmSettingDefaults()),
    },
    {
      title: '`claude:` (agent kind `claude`)',
      intro: 'Read by @loompa/agent-claude.',
      rows: rowsOf(claudeSettingsSchema, 'claude.', defaultsOf(claudeSettingsSchema)),
    },
    {
      title: '`opencode:` (agent kind `opencode`)',
      intro: 'Read by @loompa/agent-opencode.',
      rows: rowsOf(openCodeSettingsSchema, 'opencode.', defaultsOf(openCodeSettingsSchema)),
    },
    {
      title: '`command:` (agent kind `command`, built in)',
      intro:
        'Any CLI as an agent: the prompt on stdin, the worktree as working directory, exit 0 as success.',
      rows: rowsOf(commandAgentSettingsSchema, 'command.', {}),
    },
    {
      title: '`store:` with `kind: redis`',
      intro:
        'Added to the core `store:` keys by @loompa/store-redis: one store and leader lease shared by every orchestrator of the project. The URL is best read from the environment (`url: $LOOMPA_REDIS_URL`); its password is never logged.',
      rows: rowsOf(redisStoreSettingsSchema, 'store.', defaultsOf(redisStoreSettingsSchema)),
    },
    {
      title: '`budget:`',
      intro: 'Read by @loompa/budget.',
      rows: rowsOf(budgetSettingsSchema, 'budget.', defaultsOf(budgetSettingsSchema)),
    },
    {
      title: '`notifications:`',
      intro:
        'Read by @loompa/notifications. Webhook URLs (and signing keys) are named by environment variable, checked by `loompa validate` without being printed, and never logged or stored.',
      rows: rowsOf(notificationSettingsSchema, 'notifications.', defaultsOf(notificationSettingsSchema)),
    },
  ];
  return sections
    .map((section) => `#### ${section.title}\n\n${section.intro}\n\n${table(section.rows)}`)
    .join('\n\n');
}

export const referenceStart =
  '<!-- workflow-reference:start: generated from the zod schemas by examples/cli/src/write-workflow-reference.ts; do not edit by hand -->';
export const referenceEnd = '<!-- workflow-reference:end -->';

/** The README with its generated section replaced by the current reference. */
export function withWorkflowReference(readme: string): string {
  const start = readme.indexOf(referenceStart);
  const end = readme.indexOf(referenceEnd);
  if (start === -1 || end === -1 || end < start)
    throw new Error('README.md has no workflow-reference markers');
  return `${readme.slice(0, start + referenceStart.length)}\n\n${renderWorkflowReference()}\n\n${readme.slice(end)}`;
}
