// What one orchestrator tick costs with 10,000 candidate issues and 50 running agents, as ratios
// measured in one run against two baselines:
// - the tracker's `listIssues` alone (the mock tracker copies its 10,000 issues, as a real
//   tracker's parse would produce them), which every tick must call;
// - a plain sort of the same 10,000 issues in dispatch order (`compareForDispatch`).
// Two steady states are measured:
// - "slots full": 50 running, max_concurrent_agents 50, so nothing can be dispatched;
// - "slots free, nothing eligible": 50 running, max_concurrent_agents 100, and the other 9,950
//   candidates lack a required label, so every tick checks every candidate.
// The 50 agents are real dispatches (a git worktree each) whose mock backend run only ends when
// the orchestrator stops. Parts of the tick are timed on their own to show where the time goes.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type AgentRunOptions,
  type AgentRunResult,
  compareForDispatch,
  createOrchestrator,
  emptyTokenUsage,
  type Issue,
  type Orchestrator,
  selectDispatches,
} from '../packages/core/src/index.js';
import { createTestIssue, MockAgentBackend, MockTracker } from '../packages/testkit/src/index.js';
import { median, ratio } from './report.js';

const candidateCount = 10_000;
const runningCount = 50;
const warmupRounds = 20;
const measuredRounds = 40;

async function timeEach(repetitions: number, work: () => unknown): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < repetitions; index++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times;
}

/** 10,000 issues with mixed priorities, ages and labels; the first `labelled` carry `agent`. */
function candidateIssues(labelled: number): Issue[] {
  const start = Date.UTC(2025, 0, 1);
  return Array.from({ length: candidateCount }, (_, index) =>
    createTestIssue({
      id: `issue-${index}`,
      identifier: `ENG-${index}`,
      title: `Issue number ${index} about a realistic piece of work`,
      description: `What is wrong with part ${index % 97}, and what is expected instead.`,
      state: index % 3 === 0 ? 'In Progress' : 'Todo',
      // Running issues get the most urgent priority so they are the ones dispatched first.
      priority: index < runningCount ? 1 : index % 5 === 0 ? null : (index % 4) + 1,
      labels: [`area-${index % 12}`, 'backend', ...(index < labelled ? ['agent'] : [])],
      type: index % 2 === 0 ? 'bug' : 'feature',
      createdAt: new Date(start + ((index * 7919) % candidateCount) * 60_000),
    }),
  );
}

/** An agent whose run lasts until it is cancelled, like a long agent session. */
function agentUntilCancelled(): MockAgentBackend {
  return new MockAgentBackend({
    run: (options: AgentRunOptions) =>
      new Promise<AgentRunResult>((resolve) => {
        options.abortSignal?.addEventListener(
          'abort',
          () =>
            resolve({
              status: 'cancelled',
              sessionId: null,
              usage: emptyTokenUsage(),
              costUsd: null,
              turns: 1,
              finalText: null,
              error: { kind: 'cancelled', message: 'stopped by the benchmark' },
            }),
          { once: true },
        );
      }),
  });
}

interface Scenario {
  name: string;
  orchestrator: Orchestrator;
  tracker: MockTracker;
  issues: Issue[];
  maxConcurrentAgents: number;
  requiredLabels: string[];
}

async function createScenario(
  root: string,
  name: string,
  maxConcurrentAgents: number,
  requiredLabels: string[],
): Promise<Scenario> {
  const directory = path.join(root, name);
  const repository = path.join(directory, 'repository');
  await mkdir(repository, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], {
      cwd: repository,
      stdio: 'pipe',
    });
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, 'README.md'), '# bench\n');
  git('add', 'README.md');
  git('commit', '--quiet', '-m', 'initial');
  const frontMatter = {
    tracker: {
      kind: 'mock',
      active_states: ['Todo', 'In Progress'],
      terminal_states: ['Done'],
      required_labels: requiredLabels,
    },
    repository: { path: repository },
    workspace: { root: path.join(directory, 'workspaces'), state_directory: path.join(directory, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'mock', max_concurrent_agents: maxConcurrentAgents, stall_timeout_ms: 0 },
  };
  const workflowPath = path.join(directory, 'WORKFLOW.md');
  // JSON is YAML, and the root package has no YAML library of its own.
  await writeFile(
    workflowPath,
    `---\n${JSON.stringify(frontMatter, null, 2)}\n---\nWork on {{ issue.identifier }}\n`,
  );
  const issues = candidateIssues(requiredLabels.length > 0 ? runningCount : candidateCount);
  const tracker = new MockTracker({ issues });
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { mock: tracker },
    agents: { mock: agentUntilCancelled() },
  });
  return { name, orchestrator, tracker, issues, maxConcurrentAgents, requiredLabels };
}

async function untilAllAgentsRun(orchestrator: Orchestrator): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const running = orchestrator.snapshot().running;
    if (running.length === runningCount && running.every((item) => item.phase === 'running')) return;
    if (Date.now() > deadline) throw new Error(`agents did not all start: ${JSON.stringify(running)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Measurement {
  tick: number;
  listIssues: number;
  sort: number;
  selectDispatches: number;
  refresh: number;
}

async function measure(scenario: Scenario): Promise<Measurement> {
  const { orchestrator, tracker, issues } = scenario;
  let dispatched = 0;
  orchestrator.events.on('issue-dispatched', () => dispatched++);
  const failures: string[] = [];
  orchestrator.events.on('retry-scheduled', (event) =>
    failures.push(`${event.issueIdentifier}: ${event.reason}`),
  );
  await orchestrator.tick();
  await untilAllAgentsRun(orchestrator);
  if (dispatched !== runningCount || failures.length > 0) {
    throw new Error(
      `expected ${runningCount} dispatches, saw ${dispatched}; failures:\n${failures.join('\n')}`,
    );
  }

  const states = ['Todo', 'In Progress'];
  const rules = {
    activeStates: ['todo', 'in progress'],
    terminalStates: ['done'],
    requiredLabels: scenario.requiredLabels,
    assignee: null,
  };
  const busy = new Set(issues.slice(0, runningCount).map((issue) => issue.id));
  const usage = {
    maxConcurrentAgents: scenario.maxConcurrentAgents,
    maxConcurrentAgentsByState: {},
    runningTotal: runningCount,
    runningByState: { todo: 33, 'in progress': 17 },
  };
  const ids = issues.slice(0, runningCount).map((issue) => issue.id);
  const parts = {
    tick: () => orchestrator.tick(),
    listIssues: () => tracker.listIssues({ states }),
    sort: () => [...issues].sort(compareForDispatch),
    selectDispatches: () => selectDispatches(issues, rules, busy, usage),
    refresh: () => tracker.getIssues({ ids }),
  };
  // Rounds interleave the tick and its baselines, so warm-up, garbage collection and machine
  // load weigh on all of them alike; the first rounds only warm up.
  const times = Object.fromEntries(Object.keys(parts).map((name) => [name, [] as number[]])) as Record<
    keyof typeof parts,
    number[]
  >;
  for (let round = 0; round < warmupRounds + measuredRounds; round++) {
    for (const [name, work] of Object.entries(parts) as Array<[keyof typeof parts, () => unknown]>) {
      const [time] = await timeEach(1, work);
      if (round >= warmupRounds) times[name].push(time!);
    }
  }
  if (dispatched !== runningCount) throw new Error(`a measured tick dispatched: ${dispatched}`);
  const tick = median(times.tick);
  const listIssues = median(times.listIssues);
  const sort = median(times.sort);
  const select = median(times.selectDispatches);
  const refresh = median(times.refresh);
  return { tick, listIssues, sort, selectDispatches: select, refresh };
}

function report(name: string, result: Measurement): void {
  const parts = result.listIssues + result.selectDispatches + result.refresh;
  console.log(`\n${name}`);
  console.log(`  tick                         ${result.tick.toFixed(2)} ms (median of ${measuredRounds})`);
  console.log(`  tick / listIssues            ${ratio(result.tick, result.listIssues)}`);
  console.log(`  tick / sort of 10,000        ${ratio(result.tick, result.sort)}`);
  console.log(`  selectDispatches / sort      ${ratio(result.selectDispatches, result.sort)}`);
  console.log(
    `  tick / (listIssues + selectDispatches + refresh)  ${ratio(result.tick, parts)}  (the rest is the orchestrator's own work)`,
  );
  console.log(
    `  absolute: listIssues ${result.listIssues.toFixed(2)} ms, sort ${result.sort.toFixed(2)} ms, selectDispatches ${result.selectDispatches.toFixed(2)} ms, refresh of 50 ${result.refresh.toFixed(3)} ms`,
  );
}

const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-tick-bench-'));
const scenarios: Scenario[] = [];
try {
  console.log(`orchestrator tick: ${candidateCount} candidates, ${runningCount} running agents`);
  const full = await createScenario(root, 'slots-full', runningCount, []);
  scenarios.push(full);
  report('slots full (max_concurrent_agents 50)', await measure(full));
  const free = await createScenario(root, 'slots-free', 100, ['agent']);
  scenarios.push(free);
  report(
    'slots free, nothing eligible (max_concurrent_agents 100, required label on 50)',
    await measure(free),
  );
} finally {
  for (const scenario of scenarios) await scenario.orchestrator.stop();
  await rm(root, { recursive: true, force: true });
}
