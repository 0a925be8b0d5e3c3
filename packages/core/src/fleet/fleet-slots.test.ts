import { describe, expect, it } from 'vitest';
import { FleetSlots } from './fleet-slots.js';

function project(slots: FleetSlots, name: string) {
  const state = { running: 0 };
  const shared = slots.register(name, () => state.running);
  return {
    state,
    /** Asks for `wanted` more, starts what is granted, and settles, as a dispatch round does. */
    dispatch(wanted: number): number {
      const allowed = shared.allowance({ running: state.running, wanted: state.running + wanted });
      const started = allowed - state.running;
      state.running = allowed;
      shared.settled?.();
      return started;
    },
  };
}

describe('FleetSlots', () => {
  it('lets one project use the whole idle fleet, and never more than the limit', () => {
    const slots = new FleetSlots(() => 4);
    const big = project(slots, 'big');
    expect(big.dispatch(100)).toBe(4);
    expect(big.dispatch(100)).toBe(0);
    expect(slots.occupiedTotal()).toBe(4);
  });

  it('gives the next free slots to a project waiting below its fair share, not to the busy one', () => {
    const slots = new FleetSlots(() => 4);
    const big = project(slots, 'big');
    const small = project(slots, 'small');
    expect(big.dispatch(100)).toBe(4);
    expect(small.dispatch(3)).toBe(0);
    expect(slots.waitingProjects()).toEqual(['small', 'big']);
    big.state.running = 3; // one run ended
    expect(big.dispatch(100)).toBe(0);
    expect(small.dispatch(3)).toBe(1);
    big.state.running = 2;
    expect(big.dispatch(100)).toBe(0);
    expect(small.dispatch(2)).toBe(1);
    // The small one still waits for one more, below its share: a freed slot is its again.
    small.state.running = 1;
    expect(big.dispatch(100)).toBe(0);
    expect(small.dispatch(1)).toBe(1);
    // Once it wants nothing more, the busy project takes what frees up.
    small.state.running = 1;
    expect(small.dispatch(0)).toBe(0);
    expect(big.dispatch(100)).toBe(1);
    expect(slots.occupiedTotal()).toBe(4);
  });

  it('counts a grant not yet started against the others, so racing rounds never exceed the limit', () => {
    const slots = new FleetSlots(() => 3);
    const first = slots.register('first', () => 0);
    const second = slots.register('second', () => 0);
    expect(first.allowance({ running: 0, wanted: 3 })).toBe(3);
    expect(second.allowance({ running: 0, wanted: 3 })).toBe(0);
  });
});
