import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSandbox, parseJsonLines, removeSandboxes, startLoompa, waitForOutput } from './cli-fixture.js';

afterEach(removeSandboxes);

/** A check name that would forge a row and clear the screen if printed as it is. */
const hostileCheckName = 'unit\n\u001b[2J\u001b[31mFORGED ROW';

/**
 * The `unit` check: the first run on each commit fails the way a flaky jest test does (with
 * a window-title escape in the test name), the next passes. Its marker files live outside the
 * repository, so re-runs in fresh worktrees see them.
 */
const unitCheckScript = (root: string) =>
  [
    `marker="${root}/unit-ran-$LOOMPA_HEAD_SHA"`,
    'if [ -e "$marker" ]; then echo "all passed"; exit 0; fi',
    'touch "$marker"',
    `printf '  \\342\\227\\217 upload \\342\\200\\272 retries \\033]0;pwned\\007on a slow server\\n'`,
    `printf '    thrown: "Exceeded timeout of 5000 ms for a test.\\n'`,
    'exit 1',
  ].join('\n');

describe('loompa status with CI facts', () => {
  it('prints failed checks with their state, the triage of a failing base branch and flaky tests as plain lines, and what the store keeps of them once stopped', {
    timeout: 180_000,
  }, async () => {
    const sandbox = await createSandbox({
      // The triage agent answers with its analysis; the work agent writes a file.
      agentScript: [
        'case "$prompt" in',
        '  *"ROOT CAUSE:"*)',
        '    echo "ROOT CAUSE: the upload test depends on a slow external server"',
        '    echo "CULPRIT COMMIT: $(git log -1 --format=%H)"',
        '    echo "SUGGESTED FIX: stub the server";;',
        '  *) echo done > result.txt;;',
        'esac',
      ].join('\n'),
      frontMatter: {
        // Only labelled work is dispatched: the triage issue waits for a person.
        tracker: { kind: 'markdown', required_labels: ['work'] },
        polling: { interval_ms: 200 },
        scm: {
          kind: 'local',
          base_branch: 'main',
          checks: [{ name: hostileCheckName, command: `sh ../unit-check.sh` }],
        },
        triage: { workflows: ['main'], interval_ms: 1 },
      },
    });
    await writeFile(path.join(sandbox.root, 'unit-check.sh'), unitCheckScript(sandbox.root));
    // The check runs at the root of a worktree under the state directory: an absolute path it is.
    await writeFile(
      sandbox.workflowPath,
      (await readFile(sandbox.workflowPath, 'utf8')).replace(
        'sh ../unit-check.sh',
        `sh ${path.join(sandbox.root, 'unit-check.sh')}`,
      ),
    );
    await writeFile(
      path.join(sandbox.repository, '.loompa', 'tasks', 'TASK-1.md'),
      '---\nid: TASK-1\ntitle: Write the result\nstatus: todo\nlabels: [work]\ncreated: 2026-01-01T00:00:00.000Z\n---\n\nWrite it.\n',
    );

    const loompa = startLoompa(['run', '--json', '--port', '0'], { cwd: sandbox.repository });
    const seen = new Set<string>();
    await waitForOutput(
      loompa.stdout!,
      (text) => {
        for (const type of ['ci-triage-finished', 'flaky-test-recorded'])
          if (text.includes(`"type":"${type}"`)) seen.add(type);
        return seen.size === 2;
      },
      150_000,
    );

    // The report of the check is refreshed right after the flaky occurrence is recorded.
    const output = await vi.waitFor(
      async () => {
        const status = await startLoompa(['status'], { cwd: sandbox.repository });
        expect(status.exitCode).toBe(0);
        expect(status.stdout).toContain('passed on re-run');
        return status.stdout;
      },
      { timeout: 60_000, interval: 500 },
    );
    // Nothing from the check or test names reaches the terminal as a control character.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must not appear.
    expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(output).not.toMatch(/^FORGED ROW/m);
    expect(output).toMatch(/^Failed checks:$/m);
    expect(output).toMatch(
      /^TASK-1\s+[0-9a-f]{12}\s+unit FORGED ROW\s+flaky\s+passed on re-run\s+upload › retries on a slow server\s+the test "upload › retries on a slow server" timed out/m,
    );
    expect(output).toMatch(/^CI triage: watching main · 1 run seen, 1 failed · last look \d+:\d\d ago$/m);
    expect(output).toMatch(
      /^main@[0-9a-f]{40}\s+main\s+[0-9a-f]{12}\s+issue filed\s+[0-9a-f]{16}\s+TASK-2\s/m,
    );
    expect(output).toMatch(/^Flaky tests \(failed, then passed on the same commit\):$/m);
    expect(output).toMatch(/^upload › retries on a slow server\s+unit FORGED ROW\s+1\s+\d+:\d\d ago$/m);

    // --json is the snapshot itself: the same facts, with the names as they are.
    const json = await startLoompa(['status', '--json'], { cwd: sandbox.repository });
    expect(json.exitCode).toBe(0);
    const [snapshot] = parseJsonLines(json.stdout) as Array<{
      continuousIntegration: {
        checks: Array<{ identifier: string; checks: Array<{ checkName: string; state: string }> }>;
        triage: { finished: Array<{ workflow: string; trackerIssue: { identifier: string } | null }> };
        flakyTests: Array<{ checkName: string; testName: string | null; occurrences: number }>;
      };
    }>;
    const { continuousIntegration } = snapshot!;
    expect(continuousIntegration.checks).toEqual([
      expect.objectContaining({
        identifier: 'TASK-1',
        checks: [expect.objectContaining({ checkName: hostileCheckName, state: 'passed-on-rerun' })],
      }),
    ]);
    expect(continuousIntegration.triage.finished).toEqual([
      expect.objectContaining({
        workflow: 'main',
        trackerIssue: expect.objectContaining({ identifier: 'TASK-2' }),
      }),
    ]);
    expect(continuousIntegration.flakyTests).toEqual([
      expect.objectContaining({
        checkName: hostileCheckName,
        testName: 'upload › retries \u001b]0;pwned\u0007on a slow server',
        occurrences: 1,
      }),
    ]);

    loompa.kill('SIGINT');
    expect((await loompa).exitCode).toBe(0);

    // Stopped: the store still tells the triaged run and the flaky test (failed checks lived in memory).
    const stored = await startLoompa(['status'], { cwd: sandbox.repository });
    expect(stored.exitCode).toBe(0);
    expect(stored.stdout).toContain('No running instance');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must not appear.
    expect(stored.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(stored.stdout).not.toContain('Failed checks:');
    expect(stored.stdout).toMatch(/^Triaged runs \(newest first\):$/m);
    expect(stored.stdout).toMatch(
      /^main@[0-9a-f]{40}\s+main\s+[0-9a-f]{12}\s+issue filed\s+[0-9a-f]{16}\s+TASK-2\s/m,
    );
    expect(stored.stdout).toMatch(
      /^upload › retries on a slow server\s+unit FORGED ROW\s+1\s+\d+:\d\d ago$/m,
    );
    const storedJson = await startLoompa(['status', '--json'], { cwd: sandbox.repository });
    const [storedState] = parseJsonLines(storedJson.stdout) as Array<{
      running: boolean;
      continuousIntegration: {
        triaged: Array<{ workflow: string; stage: string }>;
        flakyTests: Array<{ checkName: string; occurrences: number }>;
      };
    }>;
    expect(storedState).toMatchObject({
      running: false,
      continuousIntegration: {
        triaged: [expect.objectContaining({ workflow: 'main', stage: 'filed' })],
        flakyTests: [expect.objectContaining({ checkName: hostileCheckName, occurrences: 1 })],
      },
    });
  });
});
