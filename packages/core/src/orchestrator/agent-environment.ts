import { createHash } from 'node:crypto';
import path from 'node:path';
import { agentOwnerVariable } from '../processes/leftover-agent-processes.js';
import { registerSecret } from '../secrets/redact-secrets.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';

/** Forge and tracker credentials every agent environment loses unless the workflow passes them. */
export const forgeCredentialVariables = ['GITHUB_TOKEN', 'GH_TOKEN', 'GITLAB_TOKEN'] as const;

/**
 * The agent's complete environment: the orchestrator's own, minus forge and tracker
 * credentials (the orchestrator does the forge writes, not the agent), plus `agent.env`,
 * which is the only way to hand an agent one of those credentials on purpose.
 */
export function buildAgentEnvironment(
  baseEnvironment: NodeJS.ProcessEnv,
  secretVariables: readonly string[],
  explicitEnvironment: Readonly<Record<string, string>>,
): Record<string, string> {
  const removed = new Set<string>([...forgeCredentialVariables, ...secretVariables]);
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(baseEnvironment)) {
    if (value === undefined) continue;
    if (removed.has(name)) {
      registerSecret(value);
      continue;
    }
    environment[name] = value;
  }
  return { ...environment, ...explicitEnvironment };
}

/** Marks an orchestrator's agents so a restart can find the ones a crash left running. */
export function agentOwnerFor(stateDirectory: string): string {
  return createHash('sha256').update(path.resolve(stateDirectory)).digest('hex').slice(0, 24);
}

/** What decides an agent's environment, gathered by the orchestrator from its workflow and plugins. */
export interface AgentEnvironmentSources {
  /** The orchestrator's own environment (`process.env` unless the caller gave one). */
  baseEnvironment: NodeJS.ProcessEnv;
  agent: AgentBackendV1;
  /** Credential variables the tracker and the SCM provider declare; the agent never sees them. */
  pluginSecretVariables: readonly string[];
  /** `agent.env` of the workflow: the only way to hand an agent a credential on purpose. */
  explicitEnvironment: Readonly<Record<string, string>>;
  /** See `agentOwnerFor`. */
  owner: string;
}

/**
 * The one place an agent process's environment is computed, for attempts, reactions and
 * plugins alike: the orchestrator's minus tracker and forge credentials, plus `agent.env`,
 * plus the owner mark. The agent's own secret variables are registered for redaction.
 */
export function agentEnvironmentFor(sources: AgentEnvironmentSources): Record<string, string> {
  for (const name of sources.agent.secretEnvironmentVariables ?? []) {
    registerSecret(sources.baseEnvironment[name]);
  }
  return {
    ...buildAgentEnvironment(
      sources.baseEnvironment,
      sources.pluginSecretVariables,
      sources.explicitEnvironment,
    ),
    [agentOwnerVariable]: sources.owner,
  };
}
