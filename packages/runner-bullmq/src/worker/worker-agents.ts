import {
  type AgentBackendV1,
  agentEnvironmentFor,
  commandAgent,
  isPluginDefinition,
  type Logger,
  type PluginEntry,
  restrictedEnvironmentFor,
  UnknownPluginKindError,
  type Workflow,
} from '@loompa/core';

/**
 * The agent backends a worker can run, by kind, configured from the workflow a job carries
 * (the same section the orchestrator validated). `command` is built in, as in core.
 */
export class WorkerAgents {
  private readonly entries: Record<string, PluginEntry<AgentBackendV1>>;

  constructor(agents: Record<string, PluginEntry<AgentBackendV1>> = {}) {
    this.entries = { command: commandAgent, ...agents };
  }

  /** The registry the workflow is validated against on the worker. */
  registry(): Record<string, PluginEntry<AgentBackendV1>> {
    return this.entries;
  }

  /** A backend for `kind` set up from `workflow`; a kind this worker lacks is an error naming the ones it has. */
  create(
    kind: string,
    workflow: Workflow,
    context: {
      stateDirectory: string;
      logger: Logger;
      environment: (agent: AgentBackendV1) => Record<string, string>;
      restrictedEnvironment: (declaredNames?: readonly string[]) => Record<string, string>;
    },
  ): AgentBackendV1 {
    if (!Object.hasOwn(this.entries, kind))
      throw new UnknownPluginKindError('agent', kind, Object.keys(this.entries));
    const entry = this.entries[kind]!;
    if (!isPluginDefinition(entry)) return entry;
    const raw = workflow.pluginSettings.agents[kind] ?? {};
    const settings = entry.settingsSchema ? entry.settingsSchema.parse(raw) : raw;
    return entry.create(settings, {
      workflowDirectory: workflow.directory,
      repositoryPath: null,
      stateDirectory: context.stateDirectory,
      logger: context.logger,
      resolveAgent: (other) => this.create(other, workflow, context),
      agentEnvironment: context.environment,
      restrictedEnvironment: context.restrictedEnvironment,
    });
  }
}

/** Where the environment of agent-written code comes from on the worker. */
export interface WorkerEnvironmentSources {
  baseEnvironment: NodeJS.ProcessEnv;
  workflow: Workflow;
  withheldVariables: readonly string[];
}

/** The environment of any other process running agent-written code on the worker (hooks, scripts). */
export function workerRestrictedEnvironment(
  sources: WorkerEnvironmentSources,
  declaredNames: readonly string[] = [],
): Record<string, string> {
  return restrictedEnvironmentFor(
    {
      baseEnvironment: sources.baseEnvironment,
      pluginSecretVariables: sources.withheldVariables,
      explicitEnvironment: sources.workflow.config.agent.env,
      passedNames: sources.workflow.config.agent.pass_environment,
    },
    declaredNames,
  );
}

/** The agent's environment on the worker: core's policy over the worker's own environment. */
export function workerAgentEnvironment(
  options: WorkerEnvironmentSources & { agent: AgentBackendV1; owner: string },
): Record<string, string> {
  return agentEnvironmentFor({
    baseEnvironment: options.baseEnvironment,
    pluginSecretVariables: options.withheldVariables,
    explicitEnvironment: options.workflow.config.agent.env,
    passedNames: options.workflow.config.agent.pass_environment,
    agent: options.agent,
    owner: options.owner,
  });
}
