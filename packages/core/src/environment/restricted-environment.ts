import { isRegisteredSecret } from '../secrets/redact-secrets.js';

/**
 * The one environment policy for every process that runs code an agent wrote or can change:
 * the agent itself, reviewer agents, checks, hooks, and Loompa's own git commands inside a
 * worktree. Such code can read its whole environment, so it inherits only what a process
 * needs to work, never the orchestrator's credentials.
 */

/** Names every such process inherits: locating programs, the user, locale, terminal, temp. */
const alwaysInheritedNames = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'COLORTERM',
  'NO_COLOR',
  'FORCE_COLOR',
  'TMPDIR',
  'TEMP',
  'TMP',
  'TZ',
  'LANG',
  'LANGUAGE',
  'HOSTNAME',
  // Network and certificate settings, so tools work behind the same proxy and CA as Loompa.
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
]);

/** Prefixes every such process inherits (locale categories). */
const alwaysInheritedPrefixes = ['LC_'];

/** Words that mark a variable's name as a credential. */
const secretNamePattern =
  /(TOKEN|SECRET|KEY|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)/i;

/** True when a variable's name says it holds a credential (`GITHUB_TOKEN`, `NPM_AUTH`, `API_KEY`…). */
export function looksSecretName(name: string): boolean {
  return secretNamePattern.test(name);
}

/** True when `name` matches one of `patterns`: an exact name, or a prefix ending in `*`. */
export function matchesVariablePattern(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern,
  );
}

export interface RestrictedEnvironmentOptions {
  /** The orchestrator's environment (`process.env` by default). */
  source: Readonly<Record<string, string | undefined>>;
  /**
   * Names (a trailing `*` matches a prefix) the program declares it needs, such as an agent's
   * model settings and API key. They pass even when they look secret: the program is the
   * one they are for.
   */
  declaredNames?: readonly string[];
  /**
   * Other plugins' credentials (the tracker's and the forge's tokens): withheld under their
   * own names and under any other name that carries the same value.
   */
  withheldNames?: readonly string[];
  /**
   * Names the workflow lists explicitly (`agent.pass_environment`): passed whatever they
   * look like; this is how a person hands a credential to agent-written code on purpose.
   */
  passedNames?: readonly string[];
  /** Values set by the workflow (`agent.env`): always present, over anything inherited. */
  explicitValues?: Readonly<Record<string, string>>;
}

/**
 * An allowlist, not a blocklist: the always-inherited names (unless the name looks secret or
 * the value is a registered secret), the names the program declares, the names the workflow
 * passes, then `explicitValues`. Other plugins' credentials are withheld even when declared,
 * and git's own variables never leak into another repository.
 */
export function buildRestrictedEnvironment(options: RestrictedEnvironmentOptions): Record<string, string> {
  const declared = options.declaredNames ?? [];
  const passed = options.passedNames ?? [];
  const withheld = options.withheldNames ?? [];
  const withheldValues = new Set(
    withheld.map((name) => options.source[name]).filter((value): value is string => Boolean(value)),
  );
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.source)) {
    if (value === undefined) continue;
    if (matchesVariablePattern(name, passed)) {
      environment[name] = value;
      continue;
    }
    if (name.startsWith('GIT_') || withheld.includes(name) || withheldValues.has(value)) continue;
    if (matchesVariablePattern(name, declared)) {
      environment[name] = value;
      continue;
    }
    const inherited =
      alwaysInheritedNames.has(name) || alwaysInheritedPrefixes.some((prefix) => name.startsWith(prefix));
    if (inherited && !looksSecretName(name) && !isRegisteredSecret(value)) environment[name] = value;
  }
  return { ...environment, ...options.explicitValues };
}
