import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildRestrictedEnvironment } from '../environment/restricted-environment.js';
import { agentOwnerVariable } from '../processes/leftover-agent-processes.js';
import { registerSecret } from '../secrets/redact-secrets.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import type { Workflow } from '../workflow/load-workflow.js';
import { workspaceKeyFor } from '../workspaces/workspace-key.js';

/** Forge and tracker credentials withheld from agent-written code even when no plugin declares them. */
export const forgeCredentialVariables = ['GITHUB_TOKEN', 'GH_TOKEN', 'GITLAB_TOKEN'] as const;

/** What decides the environment of agent-written code, gathered from the workflow and plugins. */
export interface EnvironmentSources {
  /** The orchestrator's own environment (`process.env` unless the caller gave one). */
  baseEnvironment: NodeJS.ProcessEnv;
  /** Credential variables the tracker and the SCM provider declare; withheld, and redacted. */
  pluginSecretVariables: readonly string[];
  /** `agent.env` of the workflow. */
  explicitEnvironment: Readonly<Record<string, string>>;
  /** `agent.pass_environment` of the workflow: passed even when they look secret. */
  passedNames: readonly string[];
}

/** Where the environment of agent-written code comes from: the workflow's agent section and the plugins' declared credentials. */
export function environmentSourcesOf(
  workflow: Workflow,
  plugins: { tracker(): TrackerV1; scm(): ScmProviderV1 | null },
  baseEnvironment: NodeJS.ProcessEnv,
): EnvironmentSources {
  const agentSection = workflow.config.agent;
  return {
    baseEnvironment,
    pluginSecretVariables: [
      ...(plugins.tracker().secretEnvironmentVariables ?? []),
      ...(plugins.scm()?.secretEnvironmentVariables ?? []),
    ],
    explicitEnvironment: agentSection.env,
    passedNames: agentSection.pass_environment,
  };
}

/**
 * The environment of every process that runs agent-written code (checks, hooks, scripts a
 * plugin starts): core's restricted policy over the orchestrator's environment with the
 * workflow's values and passed names, plus `declaredNames`.
 */
export function restrictedEnvironmentFor(
  sources: EnvironmentSources,
  declaredNames: readonly string[] = [],
): Record<string, string> {
  const withheldNames = [...forgeCredentialVariables, ...sources.pluginSecretVariables];
  for (const name of withheldNames) registerSecret(sources.baseEnvironment[name]);
  return buildRestrictedEnvironment({
    source: sources.baseEnvironment,
    declaredNames,
    withheldNames,
    passedNames: sources.passedNames,
    explicitValues: sources.explicitEnvironment,
  });
}

/**
 * A compatibility wrapper for callers of the first release: the restricted policy with the
 * given credentials withheld and `explicitEnvironment` added.
 */
export function buildAgentEnvironment(
  baseEnvironment: NodeJS.ProcessEnv,
  secretVariables: readonly string[],
  explicitEnvironment: Readonly<Record<string, string>>,
): Record<string, string> {
  return restrictedEnvironmentFor({
    baseEnvironment,
    pluginSecretVariables: secretVariables,
    explicitEnvironment,
    passedNames: [],
  });
}

/** Marks an orchestrator's agents so a restart can find the ones a crash left running. */
export function agentOwnerFor(stateDirectory: string): string {
  return createHash('sha256').update(path.resolve(stateDirectory)).digest('hex').slice(0, 24);
}

/**
 * The one place an agent process's environment is computed, for attempts, reactions and
 * plugins alike: the restricted policy plus what the backend declares it needs (its model
 * settings and key), plus the owner mark. The agent's own secrets are registered for redaction.
 */
export function agentEnvironmentFor(
  sources: EnvironmentSources & { agent: AgentBackendV1; owner: string },
): Record<string, string> {
  const secretNames = sources.agent.secretEnvironmentVariables ?? [];
  for (const name of secretNames) registerSecret(sources.baseEnvironment[name]);
  return {
    ...restrictedEnvironmentFor(sources, [...(sources.agent.environmentVariables ?? []), ...secretNames]),
    [agentOwnerVariable]: sources.owner,
  };
}

/** The agent's home and session files for an issue, kept for the whole life so resume works. */
export async function agentStateDirectoryFor(stateDirectory: string, identifier: string): Promise<string> {
  const directory = path.join(stateDirectory, 'agents', workspaceKeyFor(identifier));
  await mkdir(directory, { recursive: true });
  return directory;
}
