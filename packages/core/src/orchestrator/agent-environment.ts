import { registerSecret } from '../secrets/redact-secrets.js';

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
