import { claudeAgent } from '@loompa/agent-claude';
import { codexAgent } from '@loompa/agent-codex';
import { openCodeAgent } from '@loompa/agent-opencode';
import { budgetPlugin } from '@loompa/budget';
import { commandAgent, type OrchestratorOptions, type WorkflowPlugins } from '@loompa/core';
import { notificationsPlugin } from '@loompa/notifications';
import { gitHubScm } from '@loompa/scm-github';
import { gitLabScm } from '@loompa/scm-gitlab';
import { localScm } from '@loompa/scm-local';
import { redisStore } from '@loompa/store-redis';
import { gitHubTrackerPlugin } from '@loompa/tracker-github';
import { gitLabTracker } from '@loompa/tracker-gitlab';
import { markdownTracker } from '@loompa/tracker-markdown';

/**
 * Every plugin of this repository under the kind WORKFLOW.md names it by, with its
 * implementation: imported only by the commands that run something. Checking a workflow needs
 * only `loompa-plugin-schemas.ts` (the same kinds, schemas alone). `command` is built into the
 * orchestrator; it is listed so its section is checked too.
 */
export const loompaPlugins = {
  trackers: { markdown: markdownTracker, github: gitHubTrackerPlugin, gitlab: gitLabTracker },
  scms: { local: localScm, github: gitHubScm, gitlab: gitLabScm },
  agents: { claude: claudeAgent, opencode: openCodeAgent, codex: codexAgent, command: commandAgent },
  stores: { redis: redisStore },
  budget: budgetPlugin,
  notifier: notificationsPlugin,
} satisfies Required<WorkflowPlugins> &
  Pick<OrchestratorOptions, 'trackers' | 'scms' | 'agents' | 'stores' | 'budget' | 'notifier'>;
