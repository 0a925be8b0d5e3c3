import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  commandAgent,
  createOrchestrator,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorEventMap,
} from '@loompa/core';
import { localScm } from '@loompa/scm-local';
import { markdownTracker } from '@loompa/tracker-markdown';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * The whole loop with real programs: markdown task files, git worktrees, scm-local checks and
 * reviews, and agents that are shell scripts deciding what to do from the prompt they get.
 */

const loopTimeout = { timeout: 90_000, interval: 150 };

interface LoopFixture {
  root: string;
  repository: string;
  runsFile: string;
  orchestrator: Orchestrator;
  events: OrchestratorEvent[];
  eventsOf<Name extends keyof OrchestratorEventMap>(name: Name): Array<OrchestratorEventMap[Name]>;
  restart(): Orchestrator;
  git(...args: string[]): string;
  taskFile(id: string): string;
}

const fixtures: LoopFixture[] = [];
afterEach(async () => {
  for (const fixture of fixtures.splice(0)) {
    await fixture.orchestrator.stop();
    await rm(fixture.root, { recursive: true, force: true });
  }
});

async function createLoop(options: {
  tasks: Array<{ id: string; title: string }>;
  agentScript: string;
  reviewerScript?: string;
  repositoryFiles?: Record<string, string>;
  scm: Record<string, unknown>;
  reactions?: Record<string, unknown>;
  agent?: Record<string, unknown>;
}): Promise<LoopFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-loop-'));
  const repository = path.join(root, 'repository');
  await mkdir(repository);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Person', '-c', 'user.email=person@example.com', ...args], {
      cwd: repository,
      encoding: 'utf8',
    }).trim();
  git('init', '--quiet', '--initial-branch=main');
  for (const [file, content] of Object.entries({ 'README.md': '# sample\n', ...options.repositoryFiles })) {
    await writeFile(path.join(repository, file), content);
  }
  await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');

  const tasksDirectory = path.join(repository, '.loompa', 'tasks');
  await mkdir(tasksDirectory, { recursive: true });
  for (const task of options.tasks) {
    await writeFile(
      path.join(tasksDirectory, `${task.id}.md`),
      `---\nid: ${task.id}\ntitle: ${task.title}\nstatus: todo\ncreated: 2026-01-01T00:00:00.000Z\n---\n\n${task.title}.\n`,
    );
  }
  const runsFile = path.join(root, 'agent-runs.log');
  const agentScript = path.join(root, 'agent.sh');
  await writeFile(agentScript, `prompt=$(cat)\necho "run" >> ${runsFile}\n${options.agentScript}\n`);
  const frontMatter: Record<string, unknown> = {
    tracker: {
      kind: 'markdown',
      active_states: ['todo', 'in progress'],
      terminal_states: ['done', 'cancelled'],
    },
    repository: { path: repository },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'command', continuation_delay_ms: 3_600_000, max_attempts: 2, ...options.agent },
    command: { command: `sh ${agentScript}` },
    scm: { kind: 'local', base_branch: 'main', ...options.scm },
    reactions: options.reactions ?? {},
  };
  if (options.reviewerScript) {
    const reviewerScript = path.join(root, 'reviewer.sh');
    await writeFile(reviewerScript, `prompt=$(cat)\n${options.reviewerScript}\n`);
    frontMatter.reviewer = { command: `sh ${reviewerScript}` };
  }
  const workflowPath = path.join(root, 'WORKFLOW.md');
  await writeFile(
    workflowPath,
    `---\n${stringify(frontMatter)}---\nWork on {{ issue.identifier }}: {{ issue.title }}\n`,
  );

  const events: OrchestratorEvent[] = [];
  const build = () => {
    const orchestrator = createOrchestrator({
      workflowPath,
      trackers: { markdown: markdownTracker },
      scms: { local: localScm },
      agents: { reviewer: commandAgent },
    });
    orchestrator.events.on('event', (event) => events.push(event));
    return orchestrator;
  };
  const fixture: LoopFixture = {
    root,
    repository,
    runsFile,
    orchestrator: build(),
    events,
    eventsOf: <Name extends keyof OrchestratorEventMap>(name: Name) =>
      events
        .filter((event) => event.type === name)
        .map((event) => event.payload as OrchestratorEventMap[Name]),
    restart() {
      fixture.orchestrator = build();
      return fixture.orchestrator;
    },
    git,
    taskFile: (id) => readFileSync(path.join(tasksDirectory, `${id}.md`), 'utf8'),
  };
  fixtures.push(fixture);
  return fixture;
}

/** Ticks until `condition` holds: checks and reviews run in the background between ticks. */
async function tickUntil(fixture: LoopFixture, condition: () => void): Promise<void> {
  await vi.waitFor(async () => {
    await fixture.orchestrator.tick();
    condition();
  }, loopTimeout);
}

function agentRuns(fixture: LoopFixture): number {
  return existsSync(fixture.runsFile)
    ? readFileSync(fixture.runsFile, 'utf8').split('\n').filter(Boolean).length
    : 0;
}

describe('the change-request loop', () => {
  it('publishes, fixes failing checks from the log, addresses review, gets approved, merges and closes the task', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Store the answer' }],
      agentScript: [
        'case "$prompt" in',
        '  *"checks on your change failed"*) echo 42 > answer.txt ;;',
        '  *"reviewer asked for changes"*) echo "The answer is 42." > NOTES.md ;;',
        '  *) echo 41 > answer.txt ;;',
        'esac',
      ].join('\n'),
      reviewerScript: [
        'case "$prompt" in',
        '  *NOTES.md*) echo APPROVED ;;',
        '  *) printf "NEEDS_CHANGES\\n- answer.txt:1: explain the answer in NOTES.md\\n" ;;',
        'esac',
      ].join('\n'),
      scm: {
        auto_merge: true,
        checks: [
          { name: 'answer', command: 'echo "answer is $(cat answer.txt)"; test "$(cat answer.txt)" = 42' },
        ],
        reviewer: { agent: 'reviewer' },
      },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    const branch = fixture.eventsOf('change-request-opened')[0]!.changeRequest.branch;
    expect(branch).toBe('loompa/TASK-1');

    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(1));

    const reactions = fixture.eventsOf('reaction-started').map((event) => event.reaction);
    expect(reactions).toEqual(['ci-failure', 'review']);
    expect(fixture.git('show', 'main:answer.txt')).toBe('42');
    expect(fixture.git('show', 'main:NOTES.md')).toBe('The answer is 42.');
    const subjects = fixture.git('log', '--format=%s', 'main').split('\n');
    expect(subjects).toContain('TASK-1: Store the answer');
    expect(subjects).toContain('TASK-1: fix failing checks');
    expect(subjects).toContain('TASK-1: address review feedback');
    expect(fixture.git('log', '-1', '--format=%B', 'main~2')).toContain('Assisted-by: command');
    expect(fixture.taskFile('TASK-1')).toMatch(/^status: done$/m);
    expect(existsSync(path.join(fixture.root, 'workspaces', 'TASK-1'))).toBe(false);
    expect(agentRuns(fixture)).toBe(3);
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
  });

  it('rebases the second of two conflicting tasks, lets the agent resolve the conflict, and merges both', async () => {
    const fixture = await createLoop({
      tasks: [
        { id: 'TASK-1', title: 'Say one' },
        { id: 'TASK-2', title: 'Say two' },
      ],
      repositoryFiles: { 'shared.txt': 'zero\n' },
      agentScript: [
        'case "$prompt" in',
        // Resolves without staging: the orchestrator stages once no conflict marker is left.
        '  *"stopped on conflicts"*) printf "one\\ntwo\\n" > shared.txt ;;',
        '  *TASK-1*) echo one > shared.txt ;;',
        '  *TASK-2*) echo two > shared.txt ;;',
        'esac',
      ].join('\n'),
      scm: { auto_merge: true },
      agent: { max_concurrent_agents: 2 },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(2);
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(2));
    expect(fixture.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['conflict']);
    expect(fixture.git('show', 'main:shared.txt')).toBe('one\ntwo');
    expect(fixture.git('status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it('blocks with a comment when the reaction limit is reached', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Never passes' }],
      agentScript: 'date +%s%N >> attempts.txt',
      scm: {
        auto_merge: true,
        checks: [{ name: 'always-fails', command: 'echo "nothing can pass"; exit 1' }],
      },
      reactions: { ci: { max_attempts: 1 } },
    });
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-blocked')).toHaveLength(1));
    expect(fixture.eventsOf('issue-blocked')[0]!.reason).toBe(
      'checks still fail after 1 fix attempts (reactions.ci.max_attempts is 1)',
    );
    const task = fixture.taskFile('TASK-1');
    expect(task).toContain('loompa:needs-human');
    expect(task).toContain('needs a person');
    expect(fixture.eventsOf('reaction-started')).toHaveLength(1);
    expect(fixture.git('log', '--format=%s', 'main')).toBe('initial');
  });

  it('never merges when auto_merge is off, and says it waits for a person', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Wait for me' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false, checks: ['test -f result.txt'] },
    });
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () =>
      expect(fixture.orchestrator.snapshot().awaiting[0]?.waitingFor).toBe(
        'ready to merge; waiting for a person (scm.auto_merge is off)',
      ),
    );
    for (let tick = 0; tick < 3; tick++) await fixture.orchestrator.tick();
    expect(fixture.git('log', '--format=%s', 'main')).toBe('initial');
    expect(fixture.eventsOf('change-request-merged')).toEqual([]);
  });

  it('runs the whole loop on its own after start(): tracker and forge changes trigger ticks, no polling needed', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Hands off' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: true, checks: ['test -f result.txt'] },
    });
    await fixture.orchestrator.start();
    await vi.waitFor(() => expect(fixture.eventsOf('issue-done')).toHaveLength(1), loopTimeout);
    expect(fixture.git('show', 'main:result.txt')).toBe('done');
  });

  it('after a restart adopts the open change request: no second change request, comment or agent run', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Survive a restart' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false, checks: ['test -f result.txt'] },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    const taskBefore = fixture.taskFile('TASK-1');
    await fixture.orchestrator.stop();

    const restarted = fixture.restart();
    await restarted.runOnce();
    for (let tick = 0; tick < 3; tick++) await restarted.tick();
    expect(restarted.snapshot().awaiting).toEqual([expect.objectContaining({ identifier: 'TASK-1' })]);
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    expect(agentRuns(fixture)).toBe(1);
    const changeRequests = readdirSync(path.join(fixture.root, 'state', 'change-requests')).filter((name) =>
      name.endsWith('.json'),
    );
    expect(changeRequests).toHaveLength(1);
    expect(fixture.taskFile('TASK-1')).toBe(taskBefore);
  });

  it('links the issue after a restart when a crash came between opening and commenting', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Link me' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false },
    });
    await fixture.orchestrator.runOnce();
    await fixture.orchestrator.stop();
    // Undo the link as a crash right after opening would have left things.
    const taskPath = path.join(fixture.repository, '.loompa', 'tasks', 'TASK-1.md');
    const linked = readFileSync(taskPath, 'utf8');
    await writeFile(taskPath, linked.replace(/^.*opened a change request.*\n/m, ''));
    const storeDirectory = path.join(fixture.root, 'state', 'store');
    const [recordFile] = readdirSync(storeDirectory);
    const record = JSON.parse(readFileSync(path.join(storeDirectory, recordFile!), 'utf8'));
    await writeFile(
      path.join(storeDirectory, recordFile!),
      JSON.stringify({ ...record, trackerLinked: false }),
    );

    const restarted = fixture.restart();
    await restarted.runOnce();
    await restarted.tick();
    expect(fixture.taskFile('TASK-1').match(/opened a change request/g)).toHaveLength(1);
    await restarted.tick();
    expect(fixture.taskFile('TASK-1').match(/opened a change request/g)).toHaveLength(1);
    expect(agentRuns(fixture)).toBe(1);
  });

  it('finds an open change request left by a crash before it was recorded, instead of running again', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Crash after opening' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false },
    });
    await fixture.orchestrator.runOnce();
    await fixture.orchestrator.stop();
    // Lose the orchestrator's own record, as a crash between opening and recording would.
    await rm(path.join(fixture.root, 'state', 'store'), { recursive: true, force: true });
    const restarted = fixture.restart();
    await restarted.runOnce();
    expect(agentRuns(fixture)).toBe(1);
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    expect(restarted.snapshot().awaiting).toEqual([expect.objectContaining({ identifier: 'TASK-1' })]);
  });
});
