import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, parseJsonLines, removeSandboxes, startLoompa } from './cli-fixture.js';

afterEach(removeSandboxes);

/** True when `expected` appears in `names` in this order (other names may come between). */
function appearsInOrder(names: string[], expected: string[]): boolean {
  let position = 0;
  for (const name of names) if (name === expected[position]) position++;
  return position === expected.length;
}

describe('loompa run --once --json', () => {
  it('prints one JSON event per line, in order, and publishes the work as a change request', async () => {
    const sandbox = await createSandbox({
      tasks: [{ id: 'TASK-1', title: 'Write the result' }],
      agentScript: 'echo "working on it"\necho done > result.txt',
    });
    const result = await startLoompa(['run', '--once', '--json'], { cwd: sandbox.repository });
    expect(result.exitCode).toBe(0);
    const events = parseJsonLines(result.stdout);
    for (const event of events) {
      expect(typeof event.type).toBe('string');
      expect(new Date(event.at as string).toISOString()).toBe(event.at);
      expect(event).toHaveProperty('payload');
    }
    const names = events.map((event) => event.type as string);
    expect(
      appearsInOrder(names, [
        'workflow-loaded',
        'tick-started',
        'issue-dispatched',
        'tick-finished',
        'workspace-prepared',
        'agent-run-started',
        'agent-event',
        'agent-run-finished',
        'change-request-opened',
      ]),
    ).toBe(true);
    const issueEvents = events.filter((event) => (event.type as string).startsWith('agent-'));
    expect(issueEvents.every((event) => event.issue === 'TASK-1')).toBe(true);
    expect(events.find((event) => event.type === 'agent-event')?.payload).toMatchObject({
      event: { type: 'text', text: 'working on it' },
    });
    expect(events.find((event) => event.type === 'tick-started')).not.toHaveProperty('issue');
    // Logs go to standard error, as JSON lines too.
    expect(parseJsonLines(result.stderr).some((line) => line.message === 'dispatching')).toBe(true);
    expect(sandbox.git('show', 'loompa/TASK-1:result.txt')).toBe('done');
  });

  it('starts nothing and writes no state in a dry run', async () => {
    const sandbox = await createSandbox({ tasks: [{ id: 'TASK-1', title: 'Only decide' }] });
    const stateDirectory = path.join(sandbox.root, 'state');
    const result = await startLoompa(
      ['run', '--once', '--json', '--dry-run', '--state-dir', stateDirectory],
      {
        cwd: sandbox.repository,
      },
    );
    expect(result.exitCode).toBe(0);
    const names = parseJsonLines(result.stdout).map((event) => event.type);
    expect(names).toContain('issue-dispatched');
    expect(names).not.toContain('workspace-prepared');
    expect(names).not.toContain('agent-run-started');
    expect(existsSync(stateDirectory)).toBe(false);
  });

  it('exits 1 with every problem when the workflow is invalid at start', async () => {
    const sandbox = await createSandbox({ frontMatter: { agent: { kind: 'command', max_turns: 0 } } });
    const result = await startLoompa(['run', '--once', '--json'], { cwd: sandbox.repository });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${sandbox.workflowPath} is invalid (1 problem):`);
    expect(result.stderr).toMatch(
      /WORKFLOW\.md:\d+:\d+: agent\.max_turns: expected a positive whole number, found 0/,
    );
  });

  it('shows a summary table when not printing JSON', async () => {
    const sandbox = await createSandbox({ tasks: [{ id: 'TASK-1', title: 'Summarize me' }] });
    const result = await startLoompa(['run', '--once'], { cwd: sandbox.repository });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('TASK-1 dispatched to command as general');
    expect(result.stdout).toContain('TASK-1 change request opened: loompa/TASK-1');
    expect(result.stdout).toMatch(/^TASK-1\s+awaiting review\s+1\s+1\s+/m);
  });
});
