/**
 * Scale-out, as ratios measured in one run:
 *
 * 1. Throughput of agent runs on 1, 2 and 4 `loompa worker` processes (each taking
 *    `--worker-concurrency` runs at once) through a real Redis, against the in-process runner
 *    with the same number of agents at once. The agent is a command that sleeps 2 s and writes
 *    one file. Each run's wall time (dispatch to end, as the orchestrator sees it) is compared:
 *    the workers' over the in-process runner's is the queueing overhead per run; the runner's
 *    timings say where a worker run's time went (prepare, agent, result, messaging, apply).
 * 2. The orchestrator's tick with 10 projects × 1,000 candidate tasks in one fleet, against one
 *    orchestrator ticking over the same 10,000 tasks alone.
 *
 *   pnpm bench bench/scale-out.ts [--tasks 200] [--worker-concurrency 4] [--skip-throughput] [--skip-ticks]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type AgentRunOptions,
  type AgentRunResult,
  agentOwnerFor,
  createFleet,
  createOrchestrator,
  emptyTokenUsage,
  type Orchestrator,
  type RunnerV1,
  terminateMarkedProcesses,
} from '../packages/core/src/index.js';
import { createBullmqRunner } from '../packages/runner-bullmq/src/index.js';
import {
  createTestIssue,
  MockAgentBackend,
  MockTracker,
  startRedisServer,
} from '../packages/testkit/src/index.js';
import { median } from './report.js';

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const taskCount = argument('--tasks', 200);
const workerConcurrency = argument('--worker-concurrency', 4);
const agentSeconds = 2;
const loompaBin = path.join(import.meta.dirname, '..', 'examples', 'cli', 'bin', 'loompa.js');

async function repositoryIn(directory: string): Promise<string> {
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
  return repository;
}

async function workflowIn(directory: string, frontMatter: Record<string, unknown>): Promise<string> {
  const workflowPath = path.join(directory, 'WORKFLOW.md');
  // JSON is YAML, and the root package has no YAML library of its own.
  await writeFile(
    workflowPath,
    `---\n${JSON.stringify(frontMatter, null, 2)}\n---\nWork on {{ issue.identifier }}\n`,
  );
  return workflowPath;
}

const tasks = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) =>
    createTestIssue({
      id: `${prefix}-${index}`,
      identifier: `${prefix.toUpperCase()}-${index}`,
      priority: 2,
    }),
  );

/** What one configuration measured: the whole batch, and each run from dispatch to its end. */
interface BatchResult {
  seconds: number;
  /** Each run's wall time, dispatch to end, in seconds. */
  runSeconds: number[];
}

/** Every one of `taskCount` runs, with `agents` at once through `runner`; progress goes to stderr. */
async function runAll(
  root: string,
  name: string,
  agents: number,
  runner: RunnerV1 | null,
): Promise<BatchResult> {
  const directory = path.join(root, name);
  const repository = await repositoryIn(directory);
  const workflowPath = await workflowIn(directory, {
    tracker: { kind: 'mock' },
    repository: { path: repository },
    workspace: { root: path.join(directory, 'workspaces'), state_directory: path.join(directory, 'state') },
    polling: { interval_ms: 100 },
    agent: {
      kind: 'command',
      max_concurrent_agents: agents,
      max_turns: 1,
      continuation_delay_ms: 3_600_000,
    },
    // The agent leaves one file, as real agents leave work: every run carries a result back.
    command: { command: `sleep ${agentSeconds} && echo done > result.txt` },
  });
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { mock: new MockTracker({ issues: tasks(name, taskCount) }) },
    ...(runner ? { runner } : {}),
  });
  const dispatchedAt = new Map<string, number>();
  const runSeconds: number[] = [];
  const failures: string[] = [];
  orchestrator.events.on('issue-dispatched', (event) => dispatchedAt.set(event.issueId, performance.now()));
  const done = new Promise<void>((resolve) => {
    orchestrator.events.on('retry-scheduled', (event) => {
      if (event.reason !== 'continuation after a clean exit')
        failures.push(`${event.issueIdentifier}: ${event.reason}`);
      const dispatched = dispatchedAt.get(event.issueId);
      if (dispatched !== undefined) runSeconds.push((performance.now() - dispatched) / 1000);
      if (runSeconds.length + failures.length >= taskCount) resolve();
    });
  });
  const started = performance.now();
  // A batch that stops making progress says so instead of hanging silently.
  const progress = setInterval(() => {
    process.stderr.write(
      `  ${name}: ${runSeconds.length}/${taskCount} runs finished after ${((performance.now() - started) / 1000).toFixed(0)} s (load ${loadAverage()})\n`,
    );
  }, 30_000);
  try {
    await orchestrator.start();
    await done;
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  await orchestrator.stop();
  if (failures.length > 0) throw new Error(`${name}: runs failed:\n${failures.slice(0, 5).join('\n')}`);
  return { seconds, runSeconds };
}

const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}

function startWorker(redisUrl: string, directory: string, name: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      loompaBin,
      'worker',
      '--redis',
      redisUrl,
      '--concurrency',
      String(workerConcurrency),
      '--directory',
      directory,
      '--name',
      name,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('"worker ready"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}: ${stderr}`)));
  });
}

/** Collects the runner's "run finished on a worker" timings: where a worker run's time went. */
function timingsLogger() {
  const runs: Array<Record<string, number>> = [];
  const ignore = () => {};
  return {
    runs,
    logger: {
      debug: ignore,
      warn: ignore,
      error: ignore,
      info: (message: string, fields: Record<string, unknown> = {}) => {
        if (message !== 'run finished on a worker') return;
        const numbers = Object.entries(fields).filter(([, value]) => typeof value === 'number');
        runs.push(Object.fromEntries(numbers) as Record<string, number>);
      },
    },
  };
}

async function throughput(root: string): Promise<void> {
  const redis = await startRedisServer();
  try {
    console.log(
      `${taskCount} runs of a ${agentSeconds} s command agent; each worker takes ${workerConcurrency} at once; load average at start ${loadAverage()}\n`,
    );
    console.log(
      'workers  agents  in-process s  workers s  run in-process  run workers  overhead/run  throughput vs in-process  speed-up vs 1 worker  load',
    );
    let oneWorkerSeconds = 0;
    const breakdowns: string[] = [];
    for (const workerCount of [1, 2, 4]) {
      const agents = workerCount * workerConcurrency;
      const inProcess = await runAll(root, `local${workerCount}`, agents, null);
      const children = await Promise.all(
        Array.from({ length: workerCount }, (_, index) =>
          startWorker(redis.url, path.join(root, `worker${workerCount}-${index}`), `w${index}`),
        ),
      );
      const timings = timingsLogger();
      const runner = createBullmqRunner({ redis: redis.url, logger: timings.logger });
      let remote: BatchResult;
      try {
        remote = await runAll(root, `remote${workerCount}`, agents, runner);
      } finally {
        await runner.close();
        for (const child of children) child.kill('SIGTERM');
        await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
        for (let index = 0; index < workerCount; index++) {
          await terminateMarkedProcesses(
            agentOwnerFor(path.join(root, `worker${workerCount}-${index}`)),
            500,
          );
        }
      }
      if (workerCount === 1) oneWorkerSeconds = remote.seconds;
      // A run's wall time from its dispatch to its end, as the orchestrator saw it.
      const runLocal = mean(inProcess.runSeconds);
      const runRemote = mean(remote.runSeconds);
      console.log(
        [
          String(workerCount).padStart(7),
          String(agents).padStart(7),
          inProcess.seconds.toFixed(1).padStart(13),
          remote.seconds.toFixed(1).padStart(10),
          `${runLocal.toFixed(2)} s`.padStart(15),
          `${runRemote.toFixed(2)} s`.padStart(12),
          `${(((runRemote - runLocal) / runLocal) * 100).toFixed(1)} %`.padStart(13),
          `${(inProcess.seconds / remote.seconds).toFixed(2)}×`.padStart(25),
          `${(oneWorkerSeconds / remote.seconds).toFixed(2)}×`.padStart(21),
          loadAverage().padStart(16),
        ].join(' '),
      );
      const part = (name: string) => `${name} ${mean(timings.runs.map((run) => run[name] ?? 0)).toFixed(0)}`;
      breakdowns.push(
        `${workerCount} worker(s), mean ms per run: ${['queuedMs', 'prepareMs', 'agentMs', 'resultMs', 'messagingMs', 'applyMs'].map(part).join(', ')}`,
      );
    }
    console.log(
      `\nwhere a worker run's time went (queued: waiting for a free worker slot)\n${breakdowns.join('\n')}`,
    );
  } finally {
    await redis.stop();
  }
}

/** An agent whose run lasts until it is cancelled, so ticks see running agents and waiting candidates. */
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

async function tickProject(root: string, name: string, count: number, agents: number) {
  const directory = path.join(root, name);
  const repository = await repositoryIn(directory);
  const workflowPath = await workflowIn(directory, {
    tracker: { kind: 'mock' },
    repository: { path: repository },
    workspace: { root: path.join(directory, 'workspaces'), state_directory: path.join(directory, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'mock', max_concurrent_agents: agents, stall_timeout_ms: 0 },
  });
  return {
    workflowPath,
    trackers: { mock: new MockTracker({ issues: tasks(name, count) }) },
    agents: { mock: agentUntilCancelled() },
  };
}

async function timeTicks(tick: () => Promise<unknown>): Promise<number> {
  for (let round = 0; round < 10; round++) await tick();
  const times: number[] = [];
  for (let round = 0; round < 30; round++) {
    const started = performance.now();
    await tick();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function ticks(root: string): Promise<void> {
  const projects = await Promise.all(
    Array.from({ length: 10 }, (_, index) => tickProject(root, `fleet${index}`, 1_000, 5)),
  );
  const fleet = createFleet({ projects, maxConcurrentAgents: 20 });
  await fleet.start();
  const alone: Orchestrator = createOrchestrator(await tickProject(root, 'alone', 10_000, 20));
  await alone.start();
  try {
    const waitFor = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await waitFor(() => fleet.snapshot().running === 20);
    await waitFor(() => alone.snapshot().running.length === 20);
    const fleetTick = await timeTicks(() =>
      Promise.all(fleet.projectNames.map((name) => fleet.project(name).tick())),
    );
    const aloneTick = await timeTicks(() => alone.tick());
    console.log('\ntick with 20 agents running and the rest waiting (median of 30)');
    console.log(`one orchestrator, 10,000 tasks        ${aloneTick.toFixed(1).padStart(7)} ms   1.00×`);
    console.log(
      `fleet of 10 projects × 1,000 tasks     ${fleetTick.toFixed(1).padStart(7)} ms   ${(fleetTick / aloneTick).toFixed(2)}×`,
    );
  } finally {
    await fleet.stop();
    await alone.stop();
  }
}

const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-bench-scale-'));
try {
  if (!process.argv.includes('--skip-throughput')) await throughput(root);
  if (!process.argv.includes('--skip-ticks')) await ticks(root);
} finally {
  await rm(root, { recursive: true, force: true });
}
// Everything measured is printed and cleaned up; a handle some library keeps open (tsx's
// esbuild service, a closing connection) must not keep the benchmark from ending.
process.exit(0);
