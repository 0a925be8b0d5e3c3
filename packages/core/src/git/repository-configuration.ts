import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { WorkspaceError } from '../errors/error-classes.js';

/**
 * A repository's config can name programs git runs on content: filter drivers (`clean`,
 * `smudge`, `process`) and diff or merge drivers chosen through `.gitattributes`. An agent
 * can write both, so before each command every driver the config defines is replaced by a
 * harmless one (`cat` passes content through unchanged; a merge driver that fails leaves a
 * conflict for the normal resolution path). Loompa's content diffs pass `--no-ext-diff`.
 */
const driverOverrides: Array<[RegExp, (name: string) => string]> = [
  [/^filter\.(.+)\.(clean|smudge)$/i, (name) => `${name}=cat`],
  [/^filter\.(.+)\.process$/i, (name) => `${name}=`],
  [/^filter\.(.+)\.required$/i, (name) => `${name}=false`],
  [/^diff\.(.+)\.(textconv|command)$/i, (name) => `${name}=cat`],
  [/^merge\.(.+)\.driver$/i, (name) => `${name}=false`],
];

/**
 * Keys in the repository's own config that could send credentials somewhere else (a URL
 * rewrite, a proxy) or pull in another file; a command carrying credentials refuses to run
 * while one is set.
 */
const redirectingKeyPattern =
  /^(url\..*\.(insteadof|pushinsteadof)|http\.(.*\.)?proxy|include\.path|includeif\..*)$/i;

/** One config entry with the scope it was read from (system, global, local, worktree, command). */
interface ConfigurationEntry {
  scope: string;
  name: string;
  value: string;
}

async function readConfiguration(
  cwd: string,
  environment: Record<string, string>,
): Promise<ConfigurationEntry[]> {
  const listing = await execa(
    'git',
    [
      'config',
      '--show-scope',
      '--null',
      '--get-regexp',
      '^(filter|diff|merge|url|http|include|includeif|credential)\\.',
    ],
    { cwd, env: environment, extendEnv: false, reject: false },
  );
  // With --null each entry is "scope\0name\nvalue\0".
  const fields = String(listing.stdout).split('\0');
  const entries: ConfigurationEntry[] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const [name = '', ...value] = fields[index + 1]!.split('\n');
    entries.push({ scope: fields[index]!, name, value: value.join('\n') });
  }
  return entries;
}

/** Config a repository (and so an agent) controls, as opposed to the user's and the system's. */
function isRepositoryScope(scope: string): boolean {
  return scope === 'local' || scope === 'worktree';
}

/**
 * The `-c key=value` overrides for `cwd`'s repository, to follow the hardened settings
 * (which reset `credential.helper`): drivers neutralized, the user's own credential helpers
 * (global and system) put back, the repository's dropped. Throws when a command carrying
 * credentials could have them redirected.
 */
export async function repositoryConfigurationOverrides(
  cwd: string,
  environment: Record<string, string>,
  options: { credentials: boolean },
): Promise<string[]> {
  // Reading config runs no program; a folder that does not exist yet has no config to read.
  if (!existsSync(cwd)) return [];
  const overrides: string[] = [];
  // An empty helper resets the whole list, so every reset goes before the helpers put back.
  const userHelpers: string[] = [];
  for (const { scope, name, value } of await readConfiguration(cwd, environment)) {
    for (const [pattern, override] of driverOverrides) {
      if (pattern.test(name)) overrides.push(override(name));
    }
    if (/^credential\.(.+\.)?helper$/i.test(name)) {
      if (isRepositoryScope(scope)) {
        if (name.toLowerCase() !== 'credential.helper') overrides.push(`${name}=`);
      } else if (name.toLowerCase() === 'credential.helper' && scope !== 'command') {
        userHelpers.push(`${name}=${value}`);
      }
    }
    if (options.credentials && isRepositoryScope(scope) && redirectingKeyPattern.test(name)) {
      throw new WorkspaceError(
        `Refusing to run git with credentials in ${cwd}: the repository's own config sets ${name}, ` +
          `which could send them elsewhere. Remove it (git config --local --unset-all ${name}) and try again.`,
        { details: { cwd, key: name } },
      );
    }
  }
  return [...overrides, ...userHelpers];
}
