import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OrchestratorEventMap, OrchestratorEvents } from '../../events/orchestrator-events.js';
import { RetryTimers } from './retry-timers.js';

const issue = { id: 'issue-1', identifier: 'RET-1' };

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-03-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  const events = new OrchestratorEvents();
  const scheduled: Array<OrchestratorEventMap['retry-scheduled']> = [];
  events.on('retry-scheduled', (payload) => scheduled.push(payload));
  const due: string[] = [];
  let release: () => void = () => {};
  const timers = new RetryTimers({
    events,
    now: () => Date.now(),
    onDue: (issueId) => {
      due.push(issueId);
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
  });
  return { timers, scheduled, due, release: () => release() };
}

describe('RetryTimers', () => {
  it('announces a retry, shows it in the snapshot, and calls back when it is due', async () => {
    const { timers, scheduled, due } = setup();
    timers.schedule({ issue, attempt: 2, delayMs: 20_000, reason: 'boom', continuation: false });
    const dueAt = new Date('2026-03-01T00:00:20Z');
    expect(scheduled).toEqual([
      { issueId: 'issue-1', issueIdentifier: 'RET-1', attempt: 2, dueAt, delayMs: 20_000, reason: 'boom' },
    ]);
    expect(timers.snapshot()).toEqual([
      { issueId: 'issue-1', identifier: 'RET-1', attempt: 2, dueAt, reason: 'boom' },
    ]);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(due).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(due).toEqual(['issue-1']);
    // The driver takes a due retry exactly once.
    expect(timers.take('issue-1')).toMatchObject({ attempt: 2, continuation: false });
    expect(timers.take('issue-1')).toBeUndefined();
  });

  it('replaces the timer when an issue is scheduled again', async () => {
    const { timers, due } = setup();
    timers.schedule({ issue, attempt: 1, delayMs: 1_000, reason: 'first', continuation: true });
    timers.schedule({ issue, attempt: 2, delayMs: 5_000, reason: 'second', continuation: false });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(due).toEqual([]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(due).toEqual(['issue-1']);
    expect(timers.get('issue-1')).toMatchObject({ reason: 'second' });
  });

  it('clears every timer, and lets a stop wait for a due retry under way', async () => {
    const { timers, due, release } = setup();
    timers.schedule({ issue, attempt: 1, delayMs: 10, reason: 'due', continuation: false });
    timers.schedule({
      issue: { id: 'issue-2', identifier: 'RET-2' },
      attempt: 1,
      delayMs: 100,
      reason: 'never',
      continuation: false,
    });
    await vi.advanceTimersByTimeAsync(10);
    timers.clear();
    // The retry being handled stays busy until its handler settles (it may be dispatching).
    expect(timers.has('issue-1')).toBe(false);
    expect([...timers.ids()]).toEqual(['issue-1']);
    let settled = false;
    const settling = timers.settle().then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(due).toEqual(['issue-1']);
    expect(settled).toBe(false);
    release();
    await settling;
    expect([...timers.ids()]).toEqual([]);
  });
});
