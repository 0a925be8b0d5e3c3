/**
 * A limit this orchestrator shares with others (a fleet's `fleet.max_concurrent_agents`):
 * before it starts agents it says how many it runs and how many it would run, and the answer
 * is how many it may run in all now. The one who shares decides fairness.
 */
export interface SharedAgentSlots {
  /** `running` agents now, `wanted` with the ones it would start (running included). */
  allowance(request: { running: number; wanted: number }): number;
  /** The round that asked has started what it could: its grant is now counted as running. */
  settled?(): void;
}

/** The first of `chosen` that the shared slots allow to start now (all of them without sharing). */
export function withinSharedSlots<Item>(
  slots: SharedAgentSlots | undefined,
  running: number,
  chosen: readonly Item[],
): Item[] {
  // Asked even with nothing chosen: wanting nothing more is news the sharing needs too.
  if (!slots) return [...chosen];
  const allowed = slots.allowance({ running, wanted: running + chosen.length });
  return chosen.slice(0, Math.max(0, allowed - running));
}
