import type { SharedAgentSlots } from '../orchestrator/scheduler/shared-slots.js';

interface ProjectSlots {
  /** Agents the project runs now, as its orchestrator counts them. */
  running(): number;
  /** Agents it would start beyond those at its last ask, less what it was granted and started. */
  demand: number;
  /** Starts granted at its last ask that may not show in `running()` yet. */
  granted: number;
}

/**
 * One agent limit over many orchestrators, shared fairly: a project may take every free slot
 * while no other project waits below its fair share (the limit split over the projects that
 * run or want agents); while one does, the others grow no further than that share, so the
 * next free slot goes to the one that waits. A busy project can use an idle fleet whole, and
 * still cannot starve a small one.
 */
export class FleetSlots {
  private readonly projects = new Map<string, ProjectSlots>();

  constructor(private readonly maximum: () => number) {}

  /** The shared slots one project's orchestrator asks; `running` counts its agents now. */
  register(project: string, running: () => number): SharedAgentSlots {
    const slots: ProjectSlots = { running, demand: 0, granted: 0 };
    this.projects.set(project, slots);
    return {
      allowance: (request) => this.allowance(slots, request.running, request.wanted),
      settled: () => {
        slots.demand = Math.max(0, slots.demand - slots.granted);
        slots.granted = 0;
      },
    };
  }

  private occupied(slots: ProjectSlots): number {
    return slots.running() + slots.granted;
  }

  /** The fair share of each project that runs or wants agents now. */
  fairShare(): number {
    const active = [...this.projects.values()].filter(
      (slots) => slots.demand > 0 || this.occupied(slots) > 0,
    );
    return Math.max(1, Math.floor(this.maximum() / Math.max(1, active.length)));
  }

  private allowance(slots: ProjectSlots, running: number, wanted: number): number {
    slots.demand = Math.max(0, wanted - running);
    slots.granted = 0;
    if (slots.demand === 0) return running;
    let others = 0;
    for (const other of this.projects.values()) if (other !== slots) others += this.occupied(other);
    const free = this.maximum() - others - running;
    if (free <= 0) return running;
    const share = this.fairShare();
    const anotherWaitsBelowShare = [...this.projects.values()].some(
      (other) => other !== slots && other.demand > other.granted && this.occupied(other) < share,
    );
    const limit = anotherWaitsBelowShare
      ? Math.max(running, Math.min(share, running + free))
      : running + free;
    slots.granted = Math.max(0, Math.min(limit, wanted) - running);
    return running + slots.granted;
  }

  /** Agents running (or granted) over the whole fleet. */
  occupiedTotal(): number {
    let total = 0;
    for (const slots of this.projects.values()) total += this.occupied(slots);
    return total;
  }

  /** Projects that want agents the fleet has not given them, those running fewest first. */
  waitingProjects(): string[] {
    return [...this.projects.entries()]
      .filter(([, slots]) => slots.demand > slots.granted)
      .sort(([, first], [, second]) => this.occupied(first) - this.occupied(second))
      .map(([project]) => project);
  }

  demandOf(project: string): number {
    return this.projects.get(project)?.demand ?? 0;
  }
}
