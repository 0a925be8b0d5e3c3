import type { ZodType } from 'zod';
import type { Logger } from '../logging/logger.js';
import type { AgentBackendV1 } from './agent-backend.js';

/** What a plugin factory learns about the workflow it serves. */
export interface PluginContext {
  /** Folder of the WORKFLOW.md; relative paths in plugin settings resolve against it. */
  workflowDirectory: string;
  /** The source checkout the orchestrator works from, when one is configured. */
  repositoryPath: string | null;
  /** A directory for the plugin's own durable state. */
  stateDirectory: string;
  logger: Logger;
  /**
   * Looks up an agent backend registered with the orchestrator by kind (for plugins that run
   * an agent themselves, such as a reviewer). Throws `UnknownPluginKindError` for an unknown kind.
   */
  resolveAgent(kind: string): AgentBackendV1;
  /**
   * The environment core gives `agent`: the orchestrator's own minus tracker and forge
   * credentials, plus the workflow's `agent.env`. Plugins that run an agent themselves use it
   * so their agent sees the same provider settings as every other. Absent outside an orchestrator.
   */
  agentEnvironment?(agent: AgentBackendV1): Record<string, string>;
  /**
   * The environment for any other process that runs agent-written code (checks, scripts):
   * core's restricted policy (`buildRestrictedEnvironment`) over the orchestrator's
   * environment, with the workflow's `agent.env` and `agent.pass_environment`, plus
   * `declaredNames`. Absent outside an orchestrator: use `buildRestrictedEnvironment`.
   */
  restrictedEnvironment?(declaredNames?: readonly string[]): Record<string, string>;
}

/**
 * A plugin that takes its settings from WORKFLOW.md. `settingsSchema` validates the
 * plugin's section (for trackers and SCM providers the `tracker:`/`scm:` section, for agents
 * the top-level section named after their kind, for budgets `budget:`); its problems are
 * reported with YAML paths like any other workflow error. `create` is called with the parsed
 * settings each time they change.
 */
export interface PluginDefinition<Slot, Settings = any> {
  settingsSchema?: ZodType<Settings>;
  create(settings: Settings, context: PluginContext): Slot;
}

/**
 * A plugin's WORKFLOW.md section alone, as its package's `./schema` entry exports it: the
 * settings schema and the kind it is registered under, without the implementation (no forge
 * client, no agent runner), so validating a workflow loads a fraction of the package.
 */
export interface PluginSchema<Settings = any> {
  /** The registry it belongs in: `trackers`, `scms`, `agents`, `stores`, or the one `budget` / `notifier`. */
  slot: 'tracker' | 'scm' | 'agent' | 'store' | 'budget' | 'notifier';
  /** The `kind:` WORKFLOW.md names it by (for an agent, also its section); the section's name for budget and notifier. */
  kind: string;
  settingsSchema: ZodType<Settings>;
}

/** Tells a schema-only entry (`PluginSchema`) apart from definitions and instances. */
export function isPluginSchema(entry: unknown): entry is PluginSchema {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    !('specificationVersion' in entry) &&
    !('create' in entry) &&
    'settingsSchema' in entry &&
    typeof (entry as PluginSchema).kind === 'string'
  );
}

/** A registry value: a ready slot instance, or a definition configured from the workflow. */
export type PluginEntry<Slot> = Slot | PluginDefinition<Slot>;

/** Tells a plugin definition apart from a slot instance (instances carry `specificationVersion`). */
export function isPluginDefinition<Slot>(entry: PluginEntry<Slot>): entry is PluginDefinition<Slot> {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    !('specificationVersion' in entry) &&
    typeof (entry as PluginDefinition<Slot>).create === 'function'
  );
}
