import { AgentBackendError } from '../errors/error-classes.js';
import { findExecutable, isExecutable } from '../processes/find-executable.js';

export interface AgentExecutableDescription {
  /** The command name, e.g. `claude`. */
  command: string;
  /** How errors name the program, e.g. `The Claude Code CLI`. */
  title: string;
  /** The npm package that installs it, e.g. `@anthropic-ai/claude-code`. */
  packageName: string;
  /** The WORKFLOW.md setting that points at it, e.g. `claude.binary_path`. */
  binaryPathSetting: string;
  /** The configured path; when set, only this file is accepted. */
  binaryPath?: string | null;
  /** The `PATH` the agent will run with. */
  searchPath?: string;
  /** `import.meta.url` of the agent package, whose `node_modules/.bin` holds its dependency's binary. */
  nearModule?: string;
}

/**
 * The executable of an agent CLI: the configured path, or the command found on the agent's
 * PATH or in node_modules. Throws an `AgentBackendError` that says how to install or point
 * at it when it is missing.
 */
export function resolveAgentExecutable(description: AgentExecutableDescription): string {
  const { binaryPath, packageName } = description;
  if (binaryPath) {
    if (isExecutable(binaryPath)) return binaryPath;
    throw new AgentBackendError(
      `${description.title} was not found at ${description.binaryPathSetting} (${binaryPath}), or it is not executable. Install ${packageName} or fix the path.`,
      { details: { package: packageName, binaryPath } },
    );
  }
  const found = findExecutable(description.command, {
    searchPath: description.searchPath,
    nearModule: description.nearModule,
  });
  if (found === null) {
    throw new AgentBackendError(
      `${description.title} (${description.command}) was not found on the agent PATH or in node_modules. Install it with ` +
        `\`npm install ${packageName}\` (or globally with -g), or set ${description.binaryPathSetting} in WORKFLOW.md.`,
      { details: { package: packageName } },
    );
  }
  return found;
}
