import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import matter from 'gray-matter';
import type { z } from 'zod';
import { WorkflowError, type WorkflowProblem } from '../errors/error-classes.js';
import { LoompaError } from '../errors/loompa-error.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';
import type { BudgetV1 } from '../specifications/budget.js';
import type { NotifierV1 } from '../specifications/notifier.js';
import {
  isPluginDefinition,
  isPluginSchema,
  type PluginEntry,
  type PluginSchema,
} from '../specifications/plugin.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { StoreV1 } from '../specifications/store.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import { builtInStores } from '../store/built-in-stores.js';
import { describeValidationIssue } from './describe-validation-issue.js';
import {
  expandPathSetting,
  type MissingVariable,
  resolveEnvironmentReferences,
} from './environment-values.js';
import {
  checkPromptTemplate,
  defaultPromptTemplate,
  type PromptVariables,
  renderPrompt,
} from './prompt-template.js';
import { corePathKeys, type WorkflowConfig, workflowConfigSchema } from './workflow-schema.js';
import {
  describeYamlSyntaxError,
  formatYamlPath,
  type LocatedYaml,
  locateYamlPath,
  parseLocatedYaml,
} from './yaml-locations.js';

/** The plugins a workflow may name, by kind. Only the registries given are checked. */
/**
 * The plugins a workflow is checked against, by kind. A schema-only entry (`PluginSchema`, a
 * plugin package's `./schema` export) checks its section as well as the plugin itself does.
 */
export interface WorkflowPlugins {
  trackers?: Record<string, PluginEntry<TrackerV1> | PluginSchema>;
  scms?: Record<string, PluginEntry<ScmProviderV1> | PluginSchema>;
  agents?: Record<string, PluginEntry<AgentBackendV1> | PluginSchema>;
  /** Stores by `store.kind` (besides the built-in `file` and `memory`). */
  stores?: Record<string, PluginEntry<StoreV1> | PluginSchema>;
  /** The one budget in use (not chosen by kind): it validates the `budget:` section. */
  budget?: PluginEntry<BudgetV1> | PluginSchema;
  /** The one notifier in use: it validates the `notifications:` section. */
  notifier?: PluginEntry<NotifierV1> | PluginSchema;
}

/** A loaded, validated WORKFLOW.md. */
export interface Workflow {
  /** Absolute path of the file. */
  filePath: string;
  /** Its folder: relative paths resolved against it. */
  directory: string;
  config: WorkflowConfig;
  /** The Liquid body; the default prompt when the file has none. */
  promptTemplate: string;
  /** Line in the file where the body starts, for locating template errors. */
  promptLineOffset: number;
  /** Settings parsed by each plugin's own schema. */
  pluginSettings: {
    tracker: unknown;
    scm: unknown;
    store: unknown;
    budget: unknown;
    notifications: unknown;
    /** Per agent kind, from the top-level section named after the kind. */
    agents: Record<string, unknown>;
  };
  /** The source checkout, when `repository.path` (or the default) applies; null with `repository.url`. */
  repositoryPath: string | null;
  /** SHA-256 of the file's text: equal hashes mean nothing changed. */
  contentHash: string;
}

export interface LoadWorkflowOptions {
  plugins?: WorkflowPlugins;
  /** Environment for `$NAME` values; `process.env` by default. */
  environment?: NodeJS.ProcessEnv;
}

function problem(
  located: LocatedYaml | null,
  yamlPath: ReadonlyArray<PropertyKey>,
  fields: Omit<WorkflowProblem, 'yamlPath' | 'line' | 'column'>,
): WorkflowProblem {
  const position = located ? locateYamlPath(located, yamlPath) : null;
  return {
    yamlPath: formatYamlPath(yamlPath),
    line: position?.line ?? null,
    column: position?.column ?? null,
    ...fields,
  };
}

/** True when the file opens front matter with `---` but no later line closes it. */
function isUnclosedFrontMatter(source: string, frontMatter: string | undefined): boolean {
  if (frontMatter === undefined || !/^(\uFEFF)?---[ \t]*(\n|$)/.test(source)) return false;
  const afterOpening = source.slice(source.indexOf('---') + 3);
  return !/\n---[ \t]*(\n|$)/.test(afterOpening);
}

function countLines(text: string): number {
  let lines = 0;
  for (const character of text) if (character === '\n') lines++;
  return lines;
}

/** Reads and validates a WORKFLOW.md. Throws `WorkflowError` listing every problem found. */
export async function loadWorkflow(filePath: string, options: LoadWorkflowOptions = {}): Promise<Workflow> {
  const absolutePath = path.resolve(filePath);
  let text: string;
  try {
    text = await readFile(absolutePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'unknown error'})`;
    throw new WorkflowError(
      absolutePath,
      [
        {
          yamlPath: '',
          line: null,
          column: null,
          expected: 'a readable WORKFLOW.md',
          found: reason,
          message: reason,
        },
      ],
      { cause: error },
    );
  }
  return parseWorkflow(text, absolutePath, options);
}

/** Validates WORKFLOW.md text that was already read; `filePath` locates errors and relative paths. */
export function parseWorkflow(text: string, filePath: string, options: LoadWorkflowOptions = {}): Workflow {
  const absolutePath = path.resolve(filePath);
  const directory = path.dirname(absolutePath);
  const environment = options.environment ?? process.env;
  const fail = (problems: WorkflowProblem[]): never => {
    throw new WorkflowError(absolutePath, problems);
  };

  // Windows line endings would leave a `\r` on the last front-matter value ("-5\r" is not a
  // number); dropping them changes no line or column a message points at.
  const source = text.replace(/\r\n/g, '\n');
  // gray-matter splits the file; `yaml` parses the front matter so every node keeps its
  // position. The front matter string starts on the opening `---` line, so its line numbers
  // are the file's.
  const split = matter(source, { engines: { yaml: () => ({}) } });
  const frontMatterText = split.matter ?? '';
  const body = split.content;
  const promptLineOffset = countLines(source.slice(0, source.length - body.length));
  if (isUnclosedFrontMatter(source, split.matter)) {
    fail([
      {
        yamlPath: '',
        line: 1,
        column: 1,
        expected: 'a line "---" closing the front matter',
        found: 'the end of the file',
        message: 'the front matter opened on line 1 is never closed by a line "---"',
      },
    ]);
  }

  let located: LocatedYaml | null = null;
  let rawData: unknown = {};
  if (frontMatterText.trim() !== '') {
    located = parseLocatedYaml(frontMatterText);
    if (located.document.errors.length > 0) {
      const syntaxLocated = located;
      fail(
        located.document.errors.map((yamlError) => {
          const { line, column, found } = describeYamlSyntaxError(syntaxLocated, frontMatterText, yamlError);
          return {
            yamlPath: '',
            line,
            column,
            expected: 'valid YAML front matter',
            found,
            message: `invalid YAML: ${yamlError.message.split('\n')[0]}`,
          };
        }),
      );
    }
    rawData = located.document.toJS();
  }
  if (rawData === null || rawData === undefined) rawData = {};
  if (typeof rawData !== 'object' || Array.isArray(rawData)) {
    const found = Array.isArray(rawData) ? 'a list' : `a ${typeof rawData}`;
    fail([
      problem(located, [], {
        expected: 'a mapping of settings',
        found,
        message: `front matter must be a mapping of settings, found ${found}`,
      }),
    ]);
  }
  // A section written with nothing under it (`polling:` with its keys commented out) is
  // YAML null; it means "all defaults", not "a section that is not a mapping".
  for (const [key, value] of Object.entries(rawData as Record<string, unknown>)) {
    if (value === null) delete (rawData as Record<string, unknown>)[key];
  }

  const missingVariables: MissingVariable[] = [];
  const data = resolveEnvironmentReferences(rawData, environment, missingVariables) as Record<
    string,
    unknown
  >;

  const parsed = workflowConfigSchema.safeParse(data);
  if (!parsed.success) {
    // Report everything at once: type errors, unknown kinds and template problems alike.
    fail([
      ...parsed.error.issues.map((issue) => describeValidationIssue(issue, data, located, missingVariables)),
      ...unknownKindsInRawData(data, located, options.plugins ?? {}),
      ...templateProblems(body, promptLineOffset),
    ]);
  }
  const config = parsed.data!;

  const problems: WorkflowProblem[] = [];
  for (const keyPath of corePathKeys) {
    const section = config[keyPath[0] as keyof WorkflowConfig] as Record<string, unknown>;
    const value = section[keyPath[1]!];
    if (typeof value !== 'string') continue;
    try {
      section[keyPath[1]!] = expandPathSetting(value, directory, environment);
    } catch (error) {
      if (!LoompaError.hasCode(error, 'invalid_argument')) throw error;
      const variable = String((error as LoompaError).details.variable);
      problems.push(
        problem(located, keyPath, {
          expected: `a path whose environment variables are set`,
          found: `${JSON.stringify(value)} with $${variable} empty or not set`,
          message: `path ${JSON.stringify(value)} uses environment variable ${variable}, which is empty or not set`,
        }),
      );
    }
  }
  const repositoryPath = config.repository.path ?? (config.repository.url === null ? directory : null);
  config.repository.path = repositoryPath;

  problems.push(...checkProfiles(config, located));
  const pluginSettings = validatePluginSections(
    config,
    data,
    located,
    missingVariables,
    options.plugins ?? {},
    problems,
  );

  problems.push(...templateProblems(body, promptLineOffset));
  if (problems.length > 0) fail(problems);

  return {
    filePath: absolutePath,
    directory,
    config,
    promptTemplate: body.trim() === '' ? defaultPromptTemplate : body,
    promptLineOffset: body.trim() === '' ? 0 : promptLineOffset,
    pluginSettings,
    repositoryPath,
    contentHash: createHash('sha256').update(text).digest('hex'),
  };
}

function checkProfiles(config: WorkflowConfig, located: LocatedYaml | null): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  const names = config.agent.profiles.map((profile) => profile.name);
  config.agent.profiles.forEach((profile, index) => {
    if (names.indexOf(profile.name) !== index) {
      problems.push(
        problem(located, ['agent', 'profiles', index, 'name'], {
          expected: 'a unique profile name',
          found: JSON.stringify(profile.name),
          message: `duplicate profile name ${JSON.stringify(profile.name)}`,
        }),
      );
    }
    if (
      profile.priority_min !== null &&
      profile.priority_max !== null &&
      profile.priority_min > profile.priority_max
    ) {
      problems.push(
        problem(located, ['agent', 'profiles', index, 'priority_max'], {
          expected: `a number >= priority_min (${profile.priority_min})`,
          found: String(profile.priority_max),
          message: `expected a number >= priority_min (${profile.priority_min}), found ${profile.priority_max}`,
        }),
      );
    }
  });
  config.agent.escalation.forEach((name, index) => {
    if (!names.includes(name)) {
      const known = names.length > 0 ? names.join(', ') : 'no profiles defined';
      problems.push(
        problem(located, ['agent', 'escalation', index], {
          expected: `a profile name (${known})`,
          found: JSON.stringify(name),
          message: `unknown profile ${JSON.stringify(name)} in escalation; profiles: ${known}`,
        }),
      );
    }
  });
  return problems;
}

function knownKindProblem(
  located: LocatedYaml | null,
  yamlPath: ReadonlyArray<PropertyKey>,
  slot: string,
  kind: string,
  registry: Record<string, unknown>,
): WorkflowProblem {
  const known = Object.keys(registry);
  const knownText = known.length > 0 ? known.join(', ') : 'none registered';
  return problem(located, yamlPath, {
    expected: `a registered ${slot} kind (${knownText})`,
    found: JSON.stringify(kind),
    message: `unknown ${slot} kind ${JSON.stringify(kind)}; registered kinds: ${knownText}`,
  });
}

function settingsSchemaOf(entry: PluginEntry<unknown> | PluginSchema | undefined): z.ZodType | undefined {
  if (!entry) return undefined;
  return isPluginSchema(entry) || isPluginDefinition(entry) ? entry.settingsSchema : undefined;
}

/** The stores a workflow may name: the built-in `file` and `memory` besides those registered (checked only when some are). */
function storesOf(plugins: WorkflowPlugins): WorkflowPlugins['stores'] {
  return plugins.stores ? { ...builtInStores, ...plugins.stores } : undefined;
}

/** Checks every named kind against its registry and parses plugin sections with plugin schemas. */
function validatePluginSections(
  config: WorkflowConfig,
  data: Record<string, unknown>,
  located: LocatedYaml | null,
  missingVariables: readonly MissingVariable[],
  plugins: WorkflowPlugins,
  problems: WorkflowProblem[],
): Workflow['pluginSettings'] {
  const parseSection = (entry: PluginEntry<unknown> | undefined, sectionPath: string[]): unknown => {
    const section =
      sectionPath.reduce<unknown>(
        (value, key) => (value as Record<string, unknown> | undefined)?.[key],
        data,
      ) ?? {};
    const schema = settingsSchemaOf(entry);
    if (!schema) return section;
    const result = schema.safeParse(section);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      problems.push(describeValidationIssue(issue, data, located, missingVariables, sectionPath));
    }
    return section;
  };

  const checkKind = <Slot>(
    registry: Record<string, PluginEntry<Slot>> | undefined,
    slot: string,
    kind: string,
    yamlPath: Array<string | number>,
  ): PluginEntry<Slot> | undefined => {
    if (!registry) return undefined;
    if (!Object.hasOwn(registry, kind)) {
      problems.push(knownKindProblem(located, yamlPath, slot, kind, registry));
      return undefined;
    }
    return registry[kind];
  };

  const trackerEntry = checkKind(plugins.trackers, 'tracker', config.tracker.kind, ['tracker', 'kind']);
  const scmEntry = checkKind(plugins.scms, 'scm', config.scm.kind, ['scm', 'kind']);
  const storeEntry = checkKind(storesOf(plugins), 'store', config.store.kind, ['store', 'kind']);

  const agentKinds = new Map<string, Array<string | number>>([[config.agent.kind, ['agent', 'kind']]]);
  config.agent.profiles.forEach((profile, index) => {
    if (profile.kind && !agentKinds.has(profile.kind))
      agentKinds.set(profile.kind, ['agent', 'profiles', index, 'kind']);
  });
  for (const [name, focus] of Object.entries(config.foci)) {
    if (focus.agent && !agentKinds.has(focus.agent)) agentKinds.set(focus.agent, ['foci', name, 'agent']);
  }
  // A registered agent with its own section is configured even when only a plugin names it
  // (scm-local's reviewer, say), so the orchestrator can hand it out configured.
  for (const kind of Object.keys(plugins.agents ?? {})) {
    if (!agentKinds.has(kind) && Object.hasOwn(data, kind)) agentKinds.set(kind, [kind]);
  }
  const agents: Record<string, unknown> = {};
  for (const [kind, yamlPath] of agentKinds) {
    const entry = checkKind(plugins.agents, 'agent', kind, yamlPath);
    agents[kind] = parseSection(entry, [kind]);
  }

  return {
    tracker: parseSection(trackerEntry, ['tracker']),
    scm: parseSection(scmEntry, ['scm']),
    store: parseSection(storeEntry, ['store']),
    budget: parseSection(plugins.budget, ['budget']),
    notifications: parseSection(plugins.notifier, ['notifications']),
    agents,
  };
}

/** Renders the workflow's prompt strictly; errors name the file and line. */
export function renderWorkflowPrompt(workflow: Workflow, variables: PromptVariables): string {
  return renderPrompt(workflow.promptTemplate, variables, {
    source: workflow.filePath,
    lineOffset: workflow.promptLineOffset,
  });
}

/** The prompt body's syntax or unknown-variable problem, located in the file. */
function templateProblems(body: string, promptLineOffset: number): WorkflowProblem[] {
  const templateProblem = checkPromptTemplate(body);
  if (!templateProblem) return [];
  return [
    {
      yamlPath: '',
      line: templateProblem.line === null ? null : templateProblem.line + promptLineOffset,
      column: templateProblem.column,
      expected: 'a valid Liquid template',
      found: templateProblem.message,
      message: `prompt template: ${templateProblem.message}`,
    },
  ];
}

/** Unknown `kind` strings, read from the raw front matter when the schema already failed. */
function unknownKindsInRawData(
  data: Record<string, unknown>,
  located: LocatedYaml | null,
  plugins: WorkflowPlugins,
): WorkflowProblem[] {
  const checks: Array<[string, string, Record<string, unknown> | undefined]> = [
    ['tracker', 'tracker', plugins.trackers],
    ['scm', 'scm', plugins.scms],
    ['agent', 'agent', plugins.agents],
    ['store', 'store', storesOf(plugins)],
  ];
  const problems: WorkflowProblem[] = [];
  for (const [section, slot, registry] of checks) {
    const kind = (data[section] as Record<string, unknown> | undefined)?.kind;
    if (registry && typeof kind === 'string' && !Object.hasOwn(registry, kind)) {
      problems.push(knownKindProblem(located, [section, 'kind'], slot, kind, registry));
    }
  }
  return problems;
}
