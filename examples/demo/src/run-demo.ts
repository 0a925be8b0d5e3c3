import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { claudeAgent } from '@loompa/agent-claude';
import { codexAgent } from '@loompa/agent-codex';
import { budgetPlugin } from '@loompa/budget';
import { createOrchestrator, type Logger, type Orchestrator, type OrchestratorEvent } from '@loompa/core';
import { localScm } from '@loompa/scm-local';
import { markdownTracker } from '@loompa/tracker-markdown';
import { type DemoResult, summarizeTask } from './demo-result.js';
import { codingScript, type DemoTask, demoTasks, reviewerScript } from './demo-tasks.js';
import { prepareSampleRepository } from './prepare-sample-repository.js';
import { type ScriptedModelRouter, startScriptedModelRouter } from './scripted-model-router.js';
import { recordReportedStatuses } from './status-recorder.js';

export type { DemoResult } from './demo-result.js';

export interface DemoOptions {
  /** Use the model behind the caller's credentials instead of the scripted one. */
  live?: boolean;
  /** Give up after this long (default 170 s). */
  timeoutMs?: number;
  /** Milestones as they happen. */
  onProgress?: (line: string) => void;
  logger?: Logger;
  /** Keep the throwaway copy (its path is returned). */
  keep?: boolean;
  tasks?: DemoTask[];
  /** Agent kinds to use: `claude` always; with `codex`, the slugify task runs on Codex. */
  agents?: readonly string[];
  /** Called with the orchestrator before it starts (to serve the dashboard next to the demo, say). */
  onOrchestrator?: (orchestrator: Orchestrator) => void | Promise<void>;
}

/** The task that runs on Codex with `--agents claude,codex`: it fails its checks first, so the resume shows too. */
export const codexTaskKeyword = 'slugify';
const codexKeyVariable = 'LOOMPA_DEMO_CODEX_API_KEY';

export interface DemoRun {
  results: DemoResult[];
  /** Where the throwaway copy was (removed unless `keep`). */
  sandboxRoot: string;
  repository: string;
  /** The scripted model's requests per conversation; empty when live. */
  modelRequests: Record<string, number>;
  finished: boolean;
  /** `git log --oneline main` of the sample repository at the end. */
  mainHistory: string[];
  /** Whether the sample's own tests pass on the final main. */
  mainTestsPass: boolean;
}

function scriptsFor(tasks: readonly DemoTask[]) {
  const scripts = { reviewer: reviewerScript } as Record<string, ReturnType<typeof codingScript>>;
  for (const task of tasks) {
    scripts[`${task.id}:initial`] = codingScript(task.initial, `Done: ${task.title}.`);
    if (task.ciFailure)
      scripts[`${task.id}:ci-failure`] = codingScript(task.ciFailure, 'Fixed the failing check.');
    if (task.conflict) scripts[`${task.id}:conflict`] = codingScript(task.conflict, 'Resolved the conflict.');
  }
  return scripts;
}

const reactionDescriptions = {
  'ci-failure': 'checks failed; the agent is resumed with the check log',
  review: 'the reviewer asked for changes; the agent is resumed with them',
  conflict: 'main moved on; rebasing the branch (the agent resolves conflicts, if any)',
} as const;

/** Describes the events worth a line while the demo runs. */
function progressLine(event: OrchestratorEvent): string | null {
  switch (event.type) {
    case 'issue-dispatched':
      return `${event.payload.issueIdentifier}: agent started (${event.payload.agentKind})`;
    case 'change-request-opened':
      return `${event.payload.issueIdentifier}: change request opened on ${event.payload.changeRequest.branch}`;
    case 'reaction-started':
      return `${event.payload.issueIdentifier}: ${reactionDescriptions[event.payload.reaction]}`;
    case 'change-request-updated':
      return `${event.payload.issueIdentifier}: change request updated`;
    case 'change-request-merged':
      return `${event.payload.issueIdentifier}: merged into main`;
    case 'issue-blocked':
      return `${event.payload.issueIdentifier}: blocked: ${event.payload.reason}`;
    default:
      return null;
  }
}

/**
 * Runs the whole loop on a throwaway copy of the sample repository until every task is done
 * (or blocked, or the time is up), and reports one row per task.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoRun> {
  const tasks = options.tasks ?? demoTasks;
  const useCodex = options.agents?.includes('codex') ?? false;
  let router: ScriptedModelRouter | null = null;
  let codexRouter: ScriptedModelRouter | null = null;
  let environment: NodeJS.ProcessEnv = process.env;
  if (!options.live) {
    router = await startScriptedModelRouter(scriptsFor(tasks));
    if (useCodex) codexRouter = await startScriptedModelRouter(scriptsFor(tasks), 'responses');
    // Every agent, the reviewer included, gets the orchestrator's environment: point it at the router.
    environment = {
      ...process.env,
      ANTHROPIC_BASE_URL: router.url,
      ANTHROPIC_API_KEY: 'loompa-demo-scripted-model-needs-no-key',
      ...(codexRouter ? { [codexKeyVariable]: 'loompa-demo-scripted-model-needs-no-key' } : {}),
    };
  }
  const sandbox = await prepareSampleRepository(
    tasks,
    useCodex
      ? {
          keywords: [codexTaskKeyword],
          baseUrl: codexRouter ? `${codexRouter.url}/v1` : null,
          keyVariable: codexKeyVariable,
        }
      : null,
  );
  const scm = recordReportedStatuses(localScm);
  const orchestrator = createOrchestrator({
    environment,
    workflowPath: sandbox.workflowPath,
    trackers: { markdown: markdownTracker },
    scms: { local: scm.definition },
    agents: { claude: claudeAgent, codex: codexAgent },
    budget: budgetPlugin,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const events: OrchestratorEvent[] = [];
  const settled = new Set<string>();
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  orchestrator.events.on('event', (event) => {
    events.push(event);
    const line = progressLine(event);
    if (line) options.onProgress?.(line);
    if (event.type === 'issue-done' || event.type === 'issue-blocked') {
      settled.add(event.payload.issueIdentifier);
      if (settled.size === tasks.length) allSettled();
    }
  });
  let timer: NodeJS.Timeout | null = null;
  let finished = false;
  try {
    await options.onOrchestrator?.(orchestrator);
    await orchestrator.start();
    finished = await Promise.race([
      done.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), options.timeoutMs ?? 170_000);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
    await orchestrator.stop();
    await router?.close();
    await codexRouter?.close();
  }
  const results = tasks.map((task) => summarizeTask(task.id, events, scm.reported));
  const mainHistory = execFileSync('git', ['log', '--oneline', 'main'], {
    cwd: sandbox.repository,
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
  // The sample's tests on the final main, in a clean checkout of it (the source checkout holds the task files).
  await mkdir(`${sandbox.root}/main-check`, { recursive: true });
  const mainTestsPass =
    spawnSync(
      'sh',
      ['-c', 'git archive main | tar -x -C "$0" && cd "$0" && node --test', `${sandbox.root}/main-check`],
      {
        cwd: sandbox.repository,
        stdio: 'ignore',
      },
    ).status === 0;
  if (!options.keep) await rm(sandbox.root, { recursive: true, force: true });
  return {
    results,
    sandboxRoot: sandbox.root,
    repository: sandbox.repository,
    modelRequests: Object.fromEntries([
      ...(router?.requestsByRoute ?? []),
      ...[...(codexRouter?.requestsByRoute ?? [])].map(
        ([route, count]) => [`codex:${route}`, count] as const,
      ),
    ]),
    finished,
    mainHistory,
    mainTestsPass,
  };
}
