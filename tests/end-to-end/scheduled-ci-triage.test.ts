import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentRuns, createLoop, tickUntil } from './fixtures/change-request-loop-fixture.js';

/**
 * Scheduled CI triage on scm-local, where the watched "workflow" is the configured checks on
 * the tip of a branch: a failure starts one read-only agent run on the failing commit, its
 * analysis becomes one tracker issue, and a later failure with the same cause becomes a
 * comment on that issue instead of a second issue or a second agent run.
 */
describe('scheduled CI triage', () => {
  it('files one issue per root cause with the agent’s analysis, then comments when the cause fails again', {
    timeout: 200_000,
  }, async () => {
    const fixture = await createLoop({
      tasks: [],
      repositoryFiles: { 'broken.txt': 'the parser is broken\n' },
      agentScript: [
        // The prompt is kept for the test; the edit proves nothing of the agent's is kept.
        'echo "$prompt" > PROMPT_FILE',
        'echo "agent was here" > agent-edit.txt',
        'culprit=$(git log -1 --format=%H)',
        'echo "I looked at the log."',
        'echo "ROOT CAUSE: the parser rejects an empty string"',
        'echo "CULPRIT COMMIT: $culprit"',
        'echo "SUGGESTED FIX: accept the empty string in parse()"',
      ].join('\n'),
      scm: {
        checks: [
          {
            name: 'unit',
            command:
              'if [ -f broken.txt ]; then echo " FAIL  src/parse.test.ts > parse > accepts an empty string"; echo "AssertionError: expected [Function] to not throw"; exit 1; fi; echo ok',
          },
        ],
      },
      workflow: {
        tracker: {
          kind: 'markdown',
          active_states: ['todo'],
          terminal_states: ['done'],
          // The triage issue is not dispatched: only labelled work is.
          required_labels: ['work'],
        },
        triage: { workflows: ['main'], interval_ms: 1, labels: ['ci-triage', 'nightly'] },
      },
    });
    // The agent works in a temporary worktree: it keeps its prompt at an absolute path.
    const agentScript = path.join(fixture.root, 'agent.sh');
    await writeFile(
      agentScript,
      readFileSync(agentScript, 'utf8').replace('PROMPT_FILE', path.join(fixture.root, 'triage-prompt.txt')),
    );
    const tasksDirectory = path.join(fixture.repository, '.loompa', 'tasks');
    const taskFiles = () =>
      readdirSync(tasksDirectory)
        .filter((file) => file.endsWith('.md'))
        .map((file) => readFileSync(path.join(tasksDirectory, file), 'utf8'));
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(1));

    const firstHead = fixture.git('rev-parse', 'main');
    expect(fixture.eventsOf('ci-triage-started')).toEqual([
      { runId: `main@${firstHead}`, workflow: 'main', headSha: firstHead, failedJobs: ['unit'] },
    ]);
    const first = fixture.eventsOf('ci-triage-finished')[0]!;
    expect(first).toMatchObject({ created: true, failed: null });
    const issues = taskFiles().filter((text) => text.includes('CI triage'));
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue).toContain('title: "CI triage: main: the parser rejects an empty string"');
    expect(issue).toMatch(/labels:[\s\S]*ci-triage[\s\S]*nightly/);
    expect(issue).toContain(`**Likely culprit commit:** \`${firstHead}\``);
    expect(issue).toContain('**Suggested fix:** accept the empty string in parse()');
    expect(issue).toContain('AssertionError: expected [Function] to not throw');
    // The agent saw the failing commit, its recent history and the log tail.
    const prompt = readFileSync(path.join(fixture.root, 'triage-prompt.txt'), 'utf8');
    expect(prompt).toContain(`failed on main at commit ${firstHead}`);
    expect(prompt).toContain('read-only investigation');
    expect(prompt).toContain(' FAIL  src/parse.test.ts > parse > accepts an empty string');
    // Read-only: the throw-away worktree is gone with the agent's edit, main is untouched.
    expect(fixture.git('worktree', 'list', '--porcelain')).not.toContain('loompa-triage-');
    expect(fixture.git('ls-tree', '--name-only', 'main')).not.toContain('agent-edit.txt');
    expect(fixture.git('status', '--porcelain', '--untracked-files=all')).not.toContain('agent-edit.txt');

    // A new commit on main fails the same way: an occurrence, not a second issue or agent run.
    await writeFile(path.join(fixture.repository, 'README.md'), '# sample, edited\n');
    fixture.git('commit', '--quiet', '-am', 'Edit the README');
    const secondHead = fixture.git('rev-parse', 'main');
    await tickUntil(fixture, () => expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(2));
    expect(fixture.eventsOf('ci-triage-finished')[1]).toEqual({
      runId: `main@${secondHead}`,
      workflow: 'main',
      fingerprint: first.fingerprint,
      trackerIssueIdentifier: first.trackerIssueIdentifier,
      created: false,
      failed: null,
    });
    expect(fixture.eventsOf('ci-triage-started')).toHaveLength(1);
    expect(agentRuns(fixture)).toBe(1);
    const after = taskFiles().filter((text) => text.includes('CI triage'));
    expect(after).toHaveLength(1);
    expect(after[0]).toContain(
      `Failed again with the same cause: workflow "main" on \`${secondHead.slice(0, 12)}\``,
    );

    // Triaged runs are remembered: more ticks file and comment nothing more.
    for (let tick = 0; tick < 3; tick++) await fixture.orchestrator.tick();
    await fixture.orchestrator.stop();
    expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(2);
  });
});
