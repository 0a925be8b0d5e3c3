import { describe, expect, it } from 'vitest';
import { type OrchestratorEvent, OrchestratorEvents } from './orchestrator-events.js';

describe('OrchestratorEvents.publish', () => {
  it('emits the named event and the same payload as a catch-all `event`', () => {
    const events = new OrchestratorEvents();
    const named: unknown[] = [];
    const all: OrchestratorEvent[] = [];
    const other: unknown[] = [];
    events.on('issue-blocked', (payload) => named.push(payload));
    events.on('issue-done', (payload) => other.push(payload));
    events.on('event', (event) => all.push(event));

    const payload = { issueId: 'id-1', issueIdentifier: 'TASK-1', reason: 'attempts exhausted' };
    events.publish('issue-blocked', payload);

    expect(named).toEqual([payload]);
    expect(named[0]).toBe(payload);
    expect(other).toEqual([]);
    expect(all).toHaveLength(1);
    expect(all[0]!.type).toBe('issue-blocked');
    expect(all[0]!.payload).toBe(payload);
    expect(all[0]!.at).toBeInstanceOf(Date);
  });

  it('emits the named event before the catch-all one', () => {
    const events = new OrchestratorEvents();
    const order: string[] = [];
    events.on('event', (event) => order.push(`event:${event.type}`));
    events.on('tick-started', () => order.push('tick-started'));
    events.publish('tick-started', { at: new Date() });
    expect(order).toEqual(['tick-started', 'event:tick-started']);
  });
});
