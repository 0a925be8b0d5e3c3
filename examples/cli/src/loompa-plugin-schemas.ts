import { claudeAgentSchema } from '@loompa/agent-claude/schema';
import { codexAgentSchema } from '@loompa/agent-codex/schema';
import { openCodeAgentSchema } from '@loompa/agent-opencode/schema';
import { budgetSchema } from '@loompa/budget/schema';
import {
  commandAgentSettingsSchema,
  loadWorkflow,
  type PluginSchema,
  type Workflow,
  type WorkflowPlugins,
} from '@loompa/core/schema';
import { notificationsSchema } from '@loompa/notifications/schema';
import { gitHubScmSchema } from '@loompa/scm-github/schema';
import { gitLabScmSchema } from '@loompa/scm-gitlab/schema';
import { localScmSchema } from '@loompa/scm-local/schema';
import { redisStoreSchema } from '@loompa/store-redis/schema';
import { gitHubTrackerSchema } from '@loompa/tracker-github/schema';
import { gitLabTrackerSchema } from '@loompa/tracker-gitlab/schema';
import { markdownTrackerSchema } from '@loompa/tracker-markdown/schema';

const commandAgentSchema = {
  slot: 'agent',
  kind: 'command',
  settingsSchema: commandAgentSettingsSchema,
} satisfies PluginSchema;

/** The kinds each schema registers under, as its `kind` says. */
function byKind(schemas: readonly PluginSchema[]): Record<string, PluginSchema> {
  return Object.fromEntries(schemas.map((schema) => [schema.kind, schema]));
}

/**
 * Every plugin's WORKFLOW.md section alone (each package's `./schema` entry), under the kind
 * WORKFLOW.md names it by: what checking a workflow needs, without loading a forge client or
 * an agent runner. `loompa-plugins.ts` has the same kinds with their implementations, loaded
 * only by commands that run something.
 */
export const loompaPluginSchemas = {
  trackers: byKind([markdownTrackerSchema, gitHubTrackerSchema, gitLabTrackerSchema]),
  scms: byKind([localScmSchema, gitHubScmSchema, gitLabScmSchema]),
  agents: byKind([claudeAgentSchema, openCodeAgentSchema, codexAgentSchema, commandAgentSchema]),
  stores: byKind([redisStoreSchema]),
  budget: budgetSchema,
  notifier: notificationsSchema,
} satisfies Required<WorkflowPlugins>;

/** Loads and validates a WORKFLOW.md against every plugin the CLI knows, as `loompa run` will. */
export function loadCliWorkflow(workflowPath: string): Promise<Workflow> {
  return loadWorkflow(workflowPath, { plugins: loompaPluginSchemas });
}
