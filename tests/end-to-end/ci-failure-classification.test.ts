import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentRuns, createLoop, tickUntil } from './fixtures/change-request-loop-fixture.js';

/**
 * Failing checks classified before the agent is resumed, on scm-local with real git and real
 * check commands: flaky and infrastructure failures are re-run once and cost no fix attempt,
 * a real assertion failure resumes the agent with its log and its classification, and a
 * flaky test seen on three change requests becomes one tracker issue.
 */

/** A check that fails the first time it runs on a head (printing `failure`) and passes after. */
function failsOncePerHead(root: string, name: string, failure: string[]): string {
  const marker = path.join(root, `${name}-ran-on-`);
  const lines = failure.map((line) => `echo '${line.replaceAll("'", "'\\''")}'`).join('; ');
  return `if [ -f "${marker}$LOOMPA_HEAD_SHA" ]; then echo "all passed"; else touch "${marker}$LOOMPA_HEAD_SHA"; ${lines}; exit 1; fi`;
}

const jestTimeout = [
  '  ● upload › retries on a slow server',
  '',
  '    thrown: "Exceeded timeout of 5000 ms for a test.',
  'Tests:       1 failed, 30 passed, 31 total',
];

describe('failing checks classified before a CI reaction', () => {
  it('re-runs a flaky timeout and a lost runner once, costs no fix attempt, records the flake and merges', {
    timeout: 200_000,
  }, async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Store the answer' }],
      agentScript: 'echo 42 > answer.txt',
      scm: { auto_merge: true, checks: [] },
      reactions: { ci: { max_attempts: 1 } },
    });
    const root = fixture.root;
    const workflowPath = path.join(root, 'WORKFLOW.md');
    const workflow = readFileSync(workflowPath, 'utf8').replace(
      'checks: []',
      [
        'checks:',
        `    - name: unit`,
        `      command: ${JSON.stringify(failsOncePerHead(root, 'unit', jestTimeout))}`,
        `    - name: build`,
        `      command: ${JSON.stringify(failsOncePerHead(root, 'build', ['Run pnpm build', '##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped.']))}`,
      ].join('\n'),
    );
    await writeFile(workflowPath, workflow);
    const orchestrator = fixture.restart();
    await orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(1));

    const classified = fixture.eventsOf('check-failures-classified');
    expect(classified).toHaveLength(1);
    expect(
      Object.fromEntries(
        classified[0]!.classifications.map((entry) => [entry.checkName, entry.classification]),
      ),
    ).toEqual({ unit: 'flaky', build: 'infrastructure' });
    expect(fixture.eventsOf('checks-rerun')).toHaveLength(1);
    expect(
      fixture
        .eventsOf('checks-rerun')[0]!
        .checks.map((check) => check.checkName)
        .sort(),
    ).toEqual(['build', 'unit']);
    // No fix attempt: the agent ran once, for the task itself, and no reaction started.
    expect(fixture.eventsOf('reaction-started')).toEqual([]);
    expect(agentRuns(fixture)).toBe(1);
    // Failed, then passed on the same head: both recorded as flaky occurrences.
    const flaky = fixture.eventsOf('flaky-test-recorded');
    expect(flaky.map((entry) => entry.testName ?? entry.checkName).sort()).toEqual([
      'build',
      'upload › retries on a slow server',
    ]);
    expect(fixture.git('show', 'main:answer.txt')).toBe('42');
  });

  it('resumes the agent on a real assertion failure with the log and says how it was classified', {
    timeout: 200_000,
  }, async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Store the answer' }],
      agentScript: [
        'echo "$prompt" >> prompts.log.txt',
        'case "$prompt" in',
        '  *"checks on your change failed"*) echo 42 > answer.txt; cp prompts.log.txt ../reaction-prompt.txt ;;',
        '  *) echo 41 > answer.txt ;;',
        'esac',
        'rm prompts.log.txt',
      ].join('\n'),
      scm: {
        auto_merge: true,
        checks: [
          {
            name: 'answer',
            command:
              'if [ "$(cat answer.txt)" = 42 ]; then echo ok; else echo " FAIL  src/answer.test.ts > answer > is 42"; echo "AssertionError: expected $(cat answer.txt) to be 42"; exit 1; fi',
          },
        ],
      },
    });
    // What the snapshot says of the item's checks whenever an agent run starts.
    const checksAtRunStart: unknown[] = [];
    fixture.orchestrator.on('agent-run-started', () =>
      checksAtRunStart.push(fixture.orchestrator.snapshot().continuousIntegration.checks),
    );
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(1));

    // The reaction's run: the failure it was resumed for went to the agent.
    expect(checksAtRunStart.at(-1)).toEqual([
      expect.objectContaining({
        identifier: 'TASK-1',
        checks: [
          expect.objectContaining({ checkName: 'answer', classification: 'code', state: 'sent-to-agent' }),
        ],
      }),
    ]);
    expect(fixture.eventsOf('check-failures-classified')[0]!.classifications).toEqual([
      {
        checkName: 'answer',
        classification: 'code',
        reason: 'the test "src/answer.test.ts > answer > is 42" failed',
        testName: 'src/answer.test.ts > answer > is 42',
      },
    ]);
    expect(fixture.eventsOf('checks-rerun')).toEqual([]);
    expect(fixture.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
    const prompt = readFileSync(path.join(fixture.root, 'workspaces', 'reaction-prompt.txt'), 'utf8');
    expect(prompt).toContain('Loompa classified the failures before resuming you:\n- "answer": code');
    expect(prompt).toContain('AssertionError: expected 41 to be 42');
    expect(agentRuns(fixture)).toBe(2);
  });

  it('files one tracker issue for a test that flaked on three change requests, not three', {
    timeout: 240_000,
  }, async () => {
    const fixture = await createLoop({
      tasks: [],
      // One file per task: rebases after a merge apply cleanly, without the agent.
      agentScript: 'echo done > "work-$(echo "$prompt" | grep -o "TASK-[0-9]" | head -1).txt"',
      scm: { auto_merge: true, checks: [] },
      agent: { max_concurrent_agents: 3 },
    });
    const root = fixture.root;
    const tasksDirectory = path.join(fixture.repository, '.loompa', 'tasks');
    await mkdir(tasksDirectory, { recursive: true });
    for (const id of ['TASK-1', 'TASK-2', 'TASK-3']) {
      await writeFile(
        path.join(tasksDirectory, `${id}.md`),
        `---\nid: ${id}\ntitle: Work ${id}\nstatus: todo\nlabels: [work]\ncreated: 2026-01-01T00:00:00.000Z\n---\n\nDo ${id}.\n`,
      );
    }
    const workflowPath = path.join(root, 'WORKFLOW.md');
    const workflow = readFileSync(workflowPath, 'utf8')
      .replace(
        'checks: []',
        `checks:\n    - name: unit\n      command: ${JSON.stringify(failsOncePerHead(root, 'unit', jestTimeout))}`,
      )
      // Only labelled work is dispatched: the flaky-test issue waits for a person.
      .replace('tracker:\n', 'tracker:\n  required_labels: [work]\n')
      .replace('---\nWork on', 'ci:\n  flaky_issue_after: 3\n  flaky_labels: [flaky-test, ci]\n---\nWork on');
    await writeFile(workflowPath, workflow);
    fixture.restart();
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(3));

    // Three change requests, plus one more head per rebase after a merge moved main: each
    // head flakes once, each flake is one more occurrence of the same test.
    const occurrences = fixture.eventsOf('flaky-test-recorded').map((entry) => entry.occurrences);
    expect(occurrences.length).toBeGreaterThanOrEqual(3);
    expect(occurrences).toEqual(occurrences.map((_, index) => index + 1));
    const filed = fixture.eventsOf('flaky-test-issue-filed');
    expect(filed.filter((entry) => entry.created)).toEqual([
      expect.objectContaining({ occurrences: 3, created: true }),
    ]);
    expect(filed.filter((entry) => !entry.created).map((entry) => entry.occurrences)).toEqual(
      occurrences.slice(3),
    );
    expect(new Set(filed.map((entry) => entry.trackerIssueIdentifier)).size).toBe(1);
    const flakyTasks = readdirSync(tasksDirectory)
      .filter((file) => file.endsWith('.md'))
      .map((file) => readFileSync(path.join(tasksDirectory, file), 'utf8'))
      .filter((text) => text.includes('Flaky test'));
    expect(flakyTasks).toHaveLength(1);
    expect(flakyTasks[0]).toContain('title: "Flaky test: upload › retries on a slow server"');
    expect(flakyTasks[0]).toMatch(/labels:.*flaky-test/s);
    expect(flakyTasks[0]).toContain('Exceeded timeout of 5000 ms for a test');
    expect(flakyTasks[0]!.match(/failed, then passed on the same commit/g)).toHaveLength(occurrences.length);
    expect(fixture.eventsOf('reaction-started').filter((event) => event.reaction === 'ci-failure')).toEqual(
      [],
    );
    expect(agentRuns(fixture)).toBe(3);
  });
});
