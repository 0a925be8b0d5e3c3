import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * Two orchestrator processes on one repository and one task folder: the markdown tracker's
 * claims let each task run exactly once, and both processes stop cleanly, releasing every claim.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'run-orchestrator.ts');
// Generous: two orchestrators and their agents share a machine that other test suites load too.
const waitOptions = { timeout: 180_000, interval: 100 };
const taskCount = 10;
const agentsPerInstance = 3;

interface OrchestratorEvent {
  type: string;
  issue?: string;
  attempt?: number | null;
  reason?: string;
  /** When the child published it (milliseconds since the epoch). */
  at: number;
  /** Which child published it: the events themselves name no instance. */
  instance: string;
}

interface RunningOrchestrator {
  name: string;
  child: ChildProcess;
  events: OrchestratorEvent[];
  stderr: string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
let root: string | null = null;
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
  root = null;
});

function startOrchestrator(name: string, workflowPath: string): RunningOrchestrator {
  const child = spawn(
    process.execPath,
    ['--conditions=@loompa/source', '--import', 'tsx', runner, workflowPath],
    // The log (on standard error) explains a failure; see `explain`.
    { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOOMPA_TEST_LOG: '1' } },
  );
  children.push(child);
  const running: RunningOrchestrator = {
    name,
    child,
    events: [],
    stderr: '',
    exited: new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal as never))),
    ),
  };
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) running.events.push({ ...JSON.parse(line), instance: name });
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    running.stderr += chunk;
  });
  return running;
}

function issuesWith(running: RunningOrchestrator, type: string): string[] {
  return running.events.flatMap((event) => (event.type === type && event.issue ? [event.issue] : []));
}

/**
 * What a failure needs to be understood: both instances' issue events in the order they
 * happened, each naming its instance, the agent runs, and both logs.
 */
function explain(instances: RunningOrchestrator[], runsLogText: string): string {
  const timeline = instances
    .flatMap((running) => running.events)
    .filter((event) => event.issue !== undefined)
    .sort((left, right) => left.at - right.at)
    .map((event) => {
      const details = [event.attempt === undefined ? '' : `attempt=${event.attempt}`, event.reason ?? '']
        .filter(Boolean)
        .join(' ');
      return `${new Date(event.at).toISOString()} ${event.instance} ${event.type} ${event.issue} ${details}`;
    });
  return [
    'events:',
    ...timeline,
    'agent runs:',
    runsLogText,
    ...instances.flatMap((running) => [`log of ${running.name}:`, running.stderr]),
  ].join('\n');
}

describe('two orchestrator instances on one repository', () => {
  it('run each of ten tasks exactly once and stop cleanly', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'loompa-two-instances-'));
    const repository = path.join(root, 'repository');
    const taskDirectory = path.join(repository, '.loompa', 'tasks');
    await mkdir(taskDirectory, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=P', '-c', 'user.email=p@example.com', ...args], {
        cwd: repository,
        encoding: 'utf8',
      });
    git('init', '--quiet', '--initial-branch=main');
    await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'initial');
    for (let number = 1; number <= taskCount; number++) {
      await writeFile(
        path.join(taskDirectory, `TASK-${number}.md`),
        `---\nid: TASK-${number}\ntitle: Task number ${number}\nstatus: todo\n---\n\nWrite the result.\n`,
      );
    }

    const runsLog = path.join(root, 'runs.log');
    const goFile = path.join(root, 'go');
    // Each run appends "<task> <instance>" to the shared log, then waits for the test's go, so
    // both instances are seen holding tasks at once before any task finishes.
    const agentScript = path.join(root, 'agent.sh');
    await writeFile(
      agentScript,
      [
        'task=$(grep -o "RUN [A-Z]*-[0-9]*" | head -n 1 | cut -d " " -f 2)',
        `echo "$task $LOOMPA_TEST_INSTANCE" >> ${runsLog}`,
        `while [ ! -f ${goFile} ]; do sleep 0.1; done`,
        'echo "$task" > result.txt',
      ].join('\n'),
    );
    const workflowFor = async (instance: string) => {
      const workflowPath = path.join(root!, `WORKFLOW-${instance}.md`);
      await writeFile(
        workflowPath,
        `---\n${stringify({
          tracker: { kind: 'markdown' },
          repository: { path: repository },
          workspace: {
            root: path.join(root!, instance, 'workspaces'),
            state_directory: path.join(root!, instance, 'state'),
          },
          polling: { interval_ms: 200 },
          agent: {
            kind: 'command',
            max_concurrent_agents: agentsPerInstance,
            continuation_delay_ms: 3_600_000,
            env: { LOOMPA_TEST_INSTANCE: instance },
          },
          command: { command: `sh ${agentScript}` },
          scm: { kind: 'local', base_branch: 'main', auto_merge: false },
        })}---\nRUN {{ issue.identifier }}\n`,
      );
      return workflowPath;
    };
    const runs = () =>
      existsSync(runsLog)
        ? readFileSync(runsLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => {
              const [task, instance] = line.split(' ');
              return { task: task!, instance: instance! };
            })
        : [];

    const first = startOrchestrator('first', await workflowFor('first'));
    const second = startOrchestrator('second', await workflowFor('second'));
    const context = () =>
      explain([first, second], existsSync(runsLog) ? readFileSync(runsLog, 'utf8') : '(no runs)');

    // Each instance fills its slots with tasks the other does not hold.
    await vi.waitFor(() => {
      const started = runs();
      expect(started.filter((run) => run.instance === 'first')).toHaveLength(agentsPerInstance);
      expect(started.filter((run) => run.instance === 'second')).toHaveLength(agentsPerInstance);
    }, waitOptions);
    await writeFile(goFile, '');

    await vi.waitFor(() => {
      const opened = [
        ...issuesWith(first, 'change-request-opened'),
        ...issuesWith(second, 'change-request-opened'),
      ];
      expect(opened).toHaveLength(taskCount);
    }, waitOptions);
    const tasks = runs().map((run) => run.task);
    expect(tasks, context()).toHaveLength(taskCount);
    expect(new Set(tasks).size, context()).toBe(taskCount);
    expect(new Set(tasks)).toEqual(
      new Set(Array.from({ length: taskCount }, (_, index) => `TASK-${index + 1}`)),
    );
    // Every task was dispatched by one instance only.
    const dispatched = [...issuesWith(first, 'issue-dispatched'), ...issuesWith(second, 'issue-dispatched')];
    expect(dispatched.sort(), context()).toEqual([...tasks].sort());

    first.child.kill('SIGTERM');
    second.child.kill('SIGTERM');
    expect(await first.exited, context()).toBe(0);
    expect(await second.exited, context()).toBe(0);

    // Stopping released every claim: the record in force for each task names no owner.
    const claimsDirectory = path.join(taskDirectory, '.claims');
    const claimed = readdirSync(claimsDirectory).filter((name) => !name.startsWith('.'));
    expect(claimed).toHaveLength(taskCount);
    for (const task of claimed) {
      const records = readdirSync(path.join(claimsDirectory, task)).sort();
      const current = JSON.parse(readFileSync(path.join(claimsDirectory, task, records.at(-1)!), 'utf8'));
      expect(current.owner).toBeNull();
    }
    // The claims never show as tasks or in git.
    expect(readdirSync(taskDirectory).filter((name) => name.endsWith('.md'))).toHaveLength(taskCount);
    expect(git('status', '--porcelain')).toBe('');
  }, 600_000);
});
