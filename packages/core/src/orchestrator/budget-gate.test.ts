import { createTestIssue, MockBudget } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import { OrchestratorEvents } from '../events/orchestrator-events.js';
import { generalFocus } from '../focus/built-in-foci.js';
import type { BudgetDecision } from '../specifications/budget.js';
import { BudgetGate } from './budget-gate.js';

const agent = { focus: generalFocus, profile: null, agentKind: 'mock', model: 'model-a' };
const denied = (scope: 'global' | 'issue'): BudgetDecision => ({
  allowed: false,
  reason: 'limit of $1.00 reached',
  limit: scope === 'global' ? 'limit_usd' : 'per_issue_usd',
  scope,
  windowKey: 'all-time',
  retryAt: null,
});

function gateWith(budget: MockBudget | null) {
  const events = new OrchestratorEvents();
  const exceeded: unknown[] = [];
  events.on('budget-exceeded', (payload) => exceeded.push(payload));
  return { gate: new BudgetGate({ budget: () => budget, events }), exceeded, budget };
}

describe('BudgetGate', () => {
  it('allows everything without a budget', async () => {
    const { gate } = gateWith(null);
    expect(await gate.check(createTestIssue(), agent)).toEqual({ allowed: true, remainingUsd: null });
    expect(gate.paused).toBe(false);
  });

  it('asks with the subject and remembers what remains', async () => {
    const { gate, budget } = gateWith(new MockBudget({ check: { allowed: true, remainingUsd: 4.5 } }));
    const issue = createTestIssue({ id: 'issue-1', identifier: 'BUD-1' });
    await gate.check(issue, agent);
    expect(budget!.recorder.callsOf('check')).toEqual([
      {
        subject: {
          issueId: 'issue-1',
          issueIdentifier: 'BUD-1',
          focus: 'general',
          profile: null,
          agentKind: 'mock',
          model: 'model-a',
        },
      },
    ]);
    expect(gate.remainingUsd).toBe(4.5);
  });

  it('announces a global limit once per window and pauses dispatch until resumed', async () => {
    const { gate, exceeded } = gateWith(new MockBudget({ check: denied('global') }));
    await gate.check(createTestIssue(), agent);
    await gate.check(createTestIssue(), agent);
    expect(exceeded).toHaveLength(1);
    expect(gate.paused).toBe(true);
    expect(gate.pauseReason).toBe('limit of $1.00 reached');
    gate.resume();
    expect(gate.paused).toBe(false);
  });

  it('announces a per-issue limit once per issue', async () => {
    const { gate, exceeded } = gateWith(new MockBudget({ check: denied('issue') }));
    const first = createTestIssue();
    await gate.check(first, agent);
    await gate.check(first, agent);
    await gate.check(createTestIssue(), agent);
    expect(exceeded).toHaveLength(2);
  });

  it('checks a streaming run with its in-flight cost without pausing dispatch', async () => {
    const { gate, budget } = gateWith(new MockBudget({ check: denied('issue') }));
    const decision = await gate.check(createTestIssue(), agent, 0.75);
    expect(decision.allowed).toBe(false);
    expect(budget!.recorder.callsOf<{ inFlightCostUsd?: number }>('check')[0]!.inFlightCostUsd).toBe(0.75);
    expect(gate.paused).toBe(false);
  });
});
