import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, removeSandboxes, startLoompa, waitForOutput } from './cli-fixture.js';

afterEach(removeSandboxes);

describe('loompa status and loompa budget', () => {
  it('shows the live snapshot of a running instance, then the stored state once it stopped', async () => {
    const sandbox = await createSandbox({ tasks: [{ id: 'TASK-1', title: 'Publish me' }] });
    const loompa = startLoompa(['run', '--json', '--port', '0'], { cwd: sandbox.repository });
    await waitForOutput(loompa.stdout!, (text) => text.includes('"type":"change-request-opened"'));

    const live = await startLoompa(['status'], { cwd: sandbox.repository });
    expect(live.exitCode).toBe(0);
    expect(live.stdout).toMatch(/^Running instance at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(live.stdout).toMatch(/^TASK-1\s+awaiting\s+/m);

    loompa.kill('SIGINT');
    expect((await loompa).exitCode).toBe(0);
    const stored = await startLoompa(['status'], { cwd: sandbox.repository });
    expect(stored.exitCode).toBe(0);
    expect(stored.stdout).toContain('No running instance');
    expect(stored.stdout).toMatch(/^TASK-1\s+change request open on loompa\/TASK-1\s+0\s+0\/0\/0$/m);
  });

  it('shows spend and limits from the ledger the run wrote', async () => {
    const sandbox = await createSandbox({
      tasks: [{ id: 'TASK-1', title: 'Spend nothing' }],
      frontMatter: { budget: { limit_usd: 5, period: 'day' } },
    });
    expect((await startLoompa(['run', '--once', '--json'], { cwd: sandbox.repository })).exitCode).toBe(0);
    const budget = await startLoompa(['budget', '--by', 'issue'], { cwd: sandbox.repository });
    expect(budget.exitCode).toBe(0);
    expect(budget.stdout.split('\n')[0]).toBe('Spent $0.00, $5.00 remaining');
    expect(budget.stdout).toMatch(/^limit_usd\s+everything\s+day\s+\$5\.00\s+\$0\.00\s+\$5\.00\s+/m);
    expect(budget.stdout).toMatch(/^TASK-1\s+1\s+/m);
    const wrong = await startLoompa(['budget', '--by', 'planet'], { cwd: sandbox.repository });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('unknown planet; choose from day, issue, focus, profile, model');
  });
});
