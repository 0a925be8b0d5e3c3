import type { CodexProviderSettings } from './codex-settings.js';

/** What goes into a run's `$CODEX_HOME/config.toml`. */
export interface CodexConfigurationInput {
  provider: CodexProviderSettings | null;
  maxRetries: number;
  /** The focus instructions, added by Codex as a developer message. */
  instructions: string | null;
  /**
   * Variables kept from the agent's shell commands (the API keys): Codex passes its whole
   * environment to the commands the model runs, whose output goes back to the model and into events.
   */
  hiddenEnvironmentVariables: readonly string[];
}

/** A TOML basic string; JSON's escapes are TOML's, except that TOML also forbids a raw DEL. */
function tomlString(value: string): string {
  return JSON.stringify(value).replaceAll('\u007f', '\\u007f');
}

/**
 * The configuration of every run, written into the work item's own CODEX_HOME (never the
 * worktree, where it would show up in `git status`). Without these switches Codex stalls for
 * seconds on analytics and runs `git ls-remote` against a public host for plugins, so runs are
 * offline and fast only with them. Rewritten at every run, so a changed workflow applies to
 * the next resume too.
 */
export function buildCodexConfiguration(input: CodexConfigurationInput): string {
  const lines = [
    '# Written by @loompa/agent-codex before every run; changes here are overwritten.',
    'check_for_update_on_startup = false',
    'allow_login_shell = false',
    // Codex must never wait for a person: nothing in a headless run can answer.
    'approval_policy = "never"',
  ];
  if (input.instructions) lines.push(`developer_instructions = ${tomlString(input.instructions)}`);
  const provider = input.provider;
  const providerId = provider?.id ?? 'loompa';
  if (provider) lines.push(`model_provider = ${tomlString(providerId)}`);
  lines.push(
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[feedback]',
    'enabled = false',
    '',
    '[otel]',
    'exporter = "none"',
    '',
    '[features]',
    'plugins = false',
    'apps = false',
    'remote_plugin = false',
    'shell_snapshot = false',
  );
  if (input.hiddenEnvironmentVariables.length > 0) {
    const names = input.hiddenEnvironmentVariables.map(tomlString).join(', ');
    lines.push('', '[shell_environment_policy]', `exclude = [${names}]`);
  }
  if (provider) {
    lines.push(
      '',
      `[model_providers.${providerId}]`,
      `name = ${tomlString(providerId)}`,
      `base_url = ${tomlString(provider.baseUrl)}`,
      `wire_api = ${tomlString(provider.wireApi ?? 'responses')}`,
      // Codex's defaults make one dead server thirty requests; the orchestrator retries runs itself.
      `request_max_retries = ${input.maxRetries}`,
      `stream_max_retries = ${input.maxRetries}`,
    );
    if (provider.envKey) lines.push(`env_key = ${tomlString(provider.envKey)}`);
  }
  return `${lines.join('\n')}\n`;
}
