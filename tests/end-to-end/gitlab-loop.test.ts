import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorEventMap,
  runGit,
} from '@loompa/core';
import { withoutKeyMarker } from '@loompa/gitlab-client';
import { gitLabScm } from '@loompa/scm-gitlab';
import { createFakeGitLab, type FakeGitLab } from '@loompa/testkit';
import { gitLabTracker } from '@loompa/tracker-gitlab';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * The whole loop on GitLab, against the fake GitLab over real HTTP and real git: an issue
 * becomes a merge request; its failing pipeline job's trace goes to the agent, which fixes
 * it; a reviewer's discussion is answered, replied to and resolved; an approval lets Loompa
 * merge with the checked sha; the issue is closed. A restart adds no merge request or note.
 * The agent is a shell script that reads its prompt, so the test is about the loop.
 */

const projectPath = 'acme/answers';
const tokenVariable = 'LOOMPA_E2E_GITLAB_TOKEN';
const waitOptions = { timeout: 180_000, interval: 100 };
const identity = {
  GIT_AUTHOR_NAME: 'Person',
  GIT_AUTHOR_EMAIL: 'person@example.com',
  GIT_COMMITTER_NAME: 'Person',
  GIT_COMMITTER_EMAIL: 'person@example.com',
};

interface Loop {
  fake: FakeGitLab;
  root: string;
  orchestrator: Orchestrator;
  events: OrchestratorEvent[];
  eventsOf<Name extends keyof OrchestratorEventMap>(name: Name): Array<OrchestratorEventMap[Name]>;
  restart(): Orchestrator;
}

const loops: Loop[] = [];
afterEach(async () => {
  for (const loop of loops.splice(0)) {
    await loop.orchestrator.stop();
    await loop.fake.close();
    await rm(loop.root, { recursive: true, force: true });
  }
  delete process.env[tokenVariable];
});

async function createGitLabLoop(): Promise<Loop> {
  const fake = await createFakeGitLab({
    // The project's CI: `test` fails until answer.txt holds 42, and says so in its trace.
    continuousIntegration: async (commit) => {
      const answer = (await commit.readFile('answer.txt'))?.trim() ?? null;
      const passed = answer === null || answer === '42';
      return {
        jobs: [
          {
            name: 'test',
            status: passed ? 'success' : 'failed',
            trace: passed ? 'all good\n' : `$ ./check-answer\nexpected the answer 42, found ${answer}\n`,
          },
        ],
      };
    },
  });
  await fake.createProject({ path: projectPath, approvalsRequired: 1 });
  process.env[tokenVariable] = fake.token;
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-gitlab-loop-'));
  const seed = path.join(root, 'seed');
  const gitEnvironment = { ...fake.gitEnvironment(), ...identity };
  await mkdir(seed);
  await runGit(['init', '--quiet', '--initial-branch=main'], { cwd: seed });
  await writeFile(path.join(seed, 'README.md'), '# answers\n');
  await runGit(['add', '.'], { cwd: seed });
  await runGit(['commit', '--quiet', '-m', 'initial'], { cwd: seed, env: gitEnvironment });
  await runGit(['push', '--quiet', fake.repositoryUrl(projectPath), 'HEAD:refs/heads/main'], {
    cwd: seed,
    env: gitEnvironment,
  });
  // The orchestrator's source checkout, cloned with the token in the environment only.
  const repository = path.join(root, 'repository');
  await runGit(['clone', '--quiet', fake.repositoryUrl(projectPath), repository], {
    cwd: root,
    env: gitEnvironment,
  });

  const agentScript = path.join(root, 'agent.sh');
  await writeFile(
    agentScript,
    [
      'prompt=$(cat)',
      `echo run >> ${path.join(root, 'agent-runs.log')}`,
      'case "$prompt" in',
      '  *"expected the answer 42, found 41"*) echo 42 > answer.txt ;;',
      '  *"Explain the answer"*) echo "42 is the answer." > NOTES.md ;;',
      '  *) echo 41 > answer.txt ;;',
      'esac',
    ].join('\n'),
  );
  const connection = { host: fake.url, project: projectPath, token_variable: tokenVariable };
  const frontMatter = {
    tracker: {
      kind: 'gitlab',
      ...connection,
      active_states: ['todo'],
      done_state: 'done',
      poll_interval_ms: 3_600_000,
    },
    scm: {
      kind: 'gitlab',
      ...connection,
      base_branch: 'main',
      auto_merge: true,
      checks_settle_ms: 0,
      author_name: fake.user.username,
      rebase_poll_interval_ms: 50,
    },
    repository: { path: repository },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'command', continuation_delay_ms: 3_600_000, max_attempts: 2 },
    command: { command: `sh ${agentScript}` },
  };
  const workflowPath = path.join(root, 'WORKFLOW.md');
  await writeFile(
    workflowPath,
    `---\n${stringify(frontMatter)}---\nWork on {{ issue.identifier }}: {{ issue.title }}\n`,
  );

  const events: OrchestratorEvent[] = [];
  const build = () => {
    const orchestrator = createOrchestrator({
      workflowPath,
      trackers: { gitlab: gitLabTracker },
      scms: { gitlab: gitLabScm },
    });
    orchestrator.events.on('event', (event) => events.push(event));
    return orchestrator;
  };
  const loop: Loop = {
    fake,
    root,
    orchestrator: build(),
    events,
    eventsOf: <Name extends keyof OrchestratorEventMap>(name: Name) =>
      events
        .filter((event) => event.type === name)
        .map((event) => event.payload as OrchestratorEventMap[Name]),
    restart() {
      loop.orchestrator = build();
      return loop.orchestrator;
    },
  };
  loops.push(loop);
  return loop;
}

/** Ticks until `condition` holds, letting the fake finish pipelines and checks in between. */
async function tickUntil(loop: Loop, condition: () => void): Promise<void> {
  await vi.waitFor(async () => {
    await loop.fake.settle();
    await loop.orchestrator.tick();
    condition();
  }, waitOptions);
}

describe('the change-request loop on GitLab', () => {
  it('fixes a failed job from its trace, answers a discussion, merges with the checked sha after approval, closes the issue', async () => {
    const loop = await createGitLabLoop();
    const { fake } = loop;
    const issue = fake.seedIssue(projectPath, {
      title: 'Store the answer',
      description: 'Write answer.txt.',
    });

    await loop.orchestrator.runOnce();
    expect(loop.eventsOf('change-request-opened')).toHaveLength(1);
    const project = fake.project(projectPath);
    expect(project.mergeRequests).toHaveLength(1);
    const mergeRequest = project.mergeRequests[0]!;
    expect(mergeRequest.sourceBranch).toBe(loop.eventsOf('change-request-opened')[0]!.changeRequest.branch);

    // The first pipeline fails; the agent is resumed with the job's trace and fixes it.
    await tickUntil(loop, () =>
      expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']),
    );
    await tickUntil(loop, () => expect(fake.project(projectPath).pipelines.at(-1)?.status).toBe('success'));

    // A reviewer opens a thread; the agent addresses it, Loompa replies and resolves it.
    const discussionId = fake.addDiscussion(projectPath, mergeRequest.iid, {
      author: 'carol',
      body: 'Explain the answer in NOTES.md, please.',
      path: 'answer.txt',
      line: 1,
    });
    await tickUntil(loop, () => {
      const thread = mergeRequest.discussions.find((discussion) => discussion.id === discussionId)!;
      expect(thread.notes.every((note) => note.resolved)).toBe(true);
    });
    const thread = mergeRequest.discussions.find((discussion) => discussion.id === discussionId)!;
    expect(thread.notes.map((note) => note.authorId)).toEqual([
      fake.state.users.find((user) => user.username === 'carol')!.id,
      fake.user.id,
    ]);
    expect(thread.notes[1]!.body).toMatch(/^Addressed in [0-9a-f]{12}\.$/);
    expect(fake.mergeRequest(projectPath, mergeRequest.iid).state).toBe('opened');

    // Approval lets the merge through, with the head that was checked.
    fake.approve(projectPath, mergeRequest.iid, 'carol');
    await tickUntil(loop, () => expect(loop.eventsOf('issue-done')).toHaveLength(1));
    expect(mergeRequest.state).toBe('merged');
    const merges = fake.requests.filter(
      (request) => request.method === 'PUT' && request.path.endsWith('/merge'),
    );
    expect(merges.map((request) => request.status)).toEqual([200]);
    const main = (
      await runGit(['rev-parse', 'refs/heads/main'], { cwd: project.repositoryPath })
    ).stdout.trim();
    const answer = await runGit(['show', `${main}:answer.txt`], { cwd: project.repositoryPath });
    expect(answer.stdout.trim()).toBe('42');
    expect((await runGit(['show', `${main}:NOTES.md`], { cwd: project.repositoryPath })).stdout.trim()).toBe(
      '42 is the answer.',
    );
    const storedIssue = project.issues.find((candidate) => candidate.iid === issue.iid)!;
    expect(storedIssue.state).toBe('closed');
    expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual([
      'ci-failure',
      'review',
    ]);
    expect(fake.problems).toEqual([]);
  });

  it('after a restart adopts the open merge request: no second merge request, note or agent run', async () => {
    const loop = await createGitLabLoop();
    const { fake } = loop;
    fake.seedIssue(projectPath, { title: 'Survive a restart' });
    await loop.orchestrator.runOnce();
    await tickUntil(loop, () => expect(loop.eventsOf('reaction-started')).toHaveLength(1));
    await tickUntil(loop, () => expect(fake.project(projectPath).pipelines.at(-1)?.status).toBe('success'));
    await loop.orchestrator.tick();
    const project = fake.project(projectPath);
    const notesBefore = project.mergeRequests.flatMap((mergeRequest) =>
      mergeRequest.discussions.flatMap((discussion) =>
        discussion.notes.map((note) => withoutKeyMarker(note.body)),
      ),
    );
    const issueNotesBefore = project.issues[0]!.discussions.length;
    await loop.orchestrator.stop();

    const restarted = loop.restart();
    await restarted.runOnce();
    for (let tick = 0; tick < 3; tick += 1) {
      await fake.settle();
      await restarted.tick();
    }
    expect(project.mergeRequests).toHaveLength(1);
    const notesAfter = project.mergeRequests.flatMap((mergeRequest) =>
      mergeRequest.discussions.flatMap((discussion) =>
        discussion.notes.map((note) => withoutKeyMarker(note.body)),
      ),
    );
    expect(notesAfter).toHaveLength(notesBefore.length);
    expect(project.issues[0]!.discussions).toHaveLength(issueNotesBefore);
    expect(loop.eventsOf('change-request-opened')).toHaveLength(1);
    expect(loop.eventsOf('reaction-started')).toHaveLength(1);
  });
});
