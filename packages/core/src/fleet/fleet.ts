import path from 'node:path';
import EventEmitter from 'eventemitter3';
import { commandAgent } from '../agents/command-agent.js';
import { describeError } from '../errors/loompa-error.js';
import type { OrchestratorEvent } from '../events/orchestrator-events.js';
import { createSilentLogger, type Logger } from '../logging/logger.js';
import {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorOptions,
} from '../orchestrator/orchestrator.js';
import type { OrchestratorSnapshot } from '../orchestrator/orchestrator-snapshot.js';
import { loadWorkflow, type Workflow } from '../workflow/load-workflow.js';
import { FleetSlots } from './fleet-slots.js';

/** One project of a fleet: an orchestrator's options, and the name it is shown and addressed by. */
export interface FleetProject extends Omit<OrchestratorOptions, 'sharedSlots'> {
  /** Unique in the fleet; the workflow's folder name by default. */
  name?: string;
}

export interface FleetOptions {
  projects: FleetProject[];
  /** Agents at once over all projects; else the smallest `fleet.max_concurrent_agents` of the workflows, else 10. */
  maxConcurrentAgents?: number;
  logger?: Logger;
  /** How often a project waiting for a free slot is offered one; 200 ms by default. */
  wakeIntervalMs?: number;
}

/** An orchestrator event, and the project it came from. */
export type FleetEvent = OrchestratorEvent & { project: string };

export interface FleetProjectSnapshot {
  name: string;
  workflowPath: string | null;
  /** Agents it would start now if the fleet had slots for them. */
  waitingForSlots: number;
  snapshot: OrchestratorSnapshot;
}

/** Every project at once: what an HTTP API or dashboard over a fleet shows. */
export interface FleetSnapshot {
  at: Date;
  maxConcurrentAgents: number;
  /** Agents running over every project. */
  running: number;
  /** Each busy project's fair share of the slots while another waits. */
  fairShare: number;
  projects: FleetProjectSnapshot[];
}

/** Fallback of `fleet.max_concurrent_agents`, the same as one orchestrator's default limit. */
const defaultFleetAgents = 10;

/**
 * Many projects in one service: one orchestrator per workflow, each with its own hot reload,
 * state and events, under one agent limit shared fairly (`FleetSlots`). The orchestrators
 * decide for their own project; the fleet only shares slots, wakes a project that waits for
 * one, and shows them together.
 */
export class Fleet {
  /** Every project's events on one channel, each with its `project`. */
  readonly events = new EventEmitter<{ event: [FleetEvent] }>();
  private readonly orchestrators = new Map<string, Orchestrator>();
  private readonly workflowPaths = new Map<string, string | null>();
  private readonly slots: FleetSlots;
  private readonly logger: Logger;
  private maximum: number;
  private wakeTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: FleetOptions) {
    if (options.projects.length === 0) throw new Error('createFleet needs at least one project');
    this.logger = options.logger ?? createSilentLogger();
    this.maximum = options.maxConcurrentAgents ?? defaultFleetAgents;
    this.slots = new FleetSlots(() => this.maximum);
    for (const [index, project] of options.projects.entries()) {
      const name = this.uniqueName(project, index);
      const { name: _name, ...orchestratorOptions } = project;
      const orchestrator = createOrchestrator({
        logger: this.logger,
        ...orchestratorOptions,
        sharedSlots: this.slots.register(name, () => orchestrator.snapshot().running.length),
      });
      orchestrator.events.on('event', (event) => this.events.emit('event', { ...event, project: name }));
      this.orchestrators.set(name, orchestrator);
      this.workflowPaths.set(name, project.workflowPath ?? project.workflow?.filePath ?? null);
    }
  }

  private uniqueName(project: FleetProject, index: number): string {
    const workflowPath = project.workflowPath ?? project.workflow?.filePath;
    const base =
      project.name ??
      (workflowPath ? path.basename(path.dirname(path.resolve(workflowPath))) : `project-${index + 1}`);
    let name = base;
    for (let suffix = 2; this.orchestrators.has(name); suffix++) name = `${base}-${suffix}`;
    return name;
  }

  /** The project names, in the order they were given. */
  get projectNames(): string[] {
    return [...this.orchestrators.keys()];
  }

  /** One project's orchestrator (its own snapshot, events, tick). */
  project(name: string): Orchestrator {
    const orchestrator = this.orchestrators.get(name);
    if (!orchestrator)
      throw new Error(`No project "${name}" in this fleet (${this.projectNames.join(', ')})`);
    return orchestrator;
  }

  /** Reads the shared limit from the workflows, then starts every project. */
  async start(): Promise<void> {
    if (this.options.maxConcurrentAgents === undefined) this.maximum = await this.limitFromWorkflows();
    await Promise.all([...this.orchestrators.values()].map((orchestrator) => orchestrator.start()));
    this.wakeTimer ??= setInterval(() => this.wakeWaitingProject(), this.options.wakeIntervalMs ?? 200);
  }

  /** Stops every project (see `Orchestrator.stop`). */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    if (this.wakeTimer) clearInterval(this.wakeTimer);
    this.wakeTimer = null;
    await Promise.all([...this.orchestrators.values()].map((orchestrator) => orchestrator.stop(options)));
  }

  /** A free slot and a project that waits for one: that project ticks now rather than at its next poll. */
  private wakeWaitingProject(): void {
    if (this.slots.occupiedTotal() >= this.maximum) return;
    const [waiting] = this.slots.waitingProjects();
    if (!waiting) return;
    this.project(waiting)
      .tick()
      .catch((error: unknown) =>
        this.logger.warn('a fleet project tick failed', { project: waiting, message: describeError(error) }),
      );
  }

  private async limitFromWorkflows(): Promise<number> {
    const limits: number[] = [];
    for (const project of this.options.projects) {
      const workflow = await this.workflowOf(project).catch(() => null);
      const limit = workflow?.config.fleet.max_concurrent_agents;
      if (limit !== undefined) limits.push(limit);
    }
    return limits.length > 0 ? Math.min(...limits) : defaultFleetAgents;
  }

  private workflowOf(project: FleetProject): Promise<Workflow> {
    if (project.workflow) return Promise.resolve(project.workflow);
    return loadWorkflow(project.workflowPath!, {
      plugins: {
        trackers: project.trackers,
        ...(project.scms ? { scms: project.scms } : {}),
        agents: { command: commandAgent, ...project.agents },
        ...(project.budget ? { budget: project.budget } : {}),
      },
    });
  }

  /** Every project's snapshot, and the shared limit. */
  snapshot(): FleetSnapshot {
    const projects = [...this.orchestrators.entries()].map(([name, orchestrator]) => ({
      name,
      workflowPath: this.workflowPaths.get(name) ?? null,
      waitingForSlots: this.slots.demandOf(name),
      snapshot: orchestrator.snapshot(),
    }));
    return {
      at: new Date(),
      maxConcurrentAgents: this.maximum,
      running: projects.reduce((total, project) => total + project.snapshot.running.length, 0),
      fairShare: this.slots.fairShare(),
      projects,
    };
  }

  /** Listens to every project's events; returns the function that stops listening. */
  onEvent(listener: (event: FleetEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }
}

/** Creates a fleet; call `start()` to run every project. */
export function createFleet(options: FleetOptions): Fleet {
  return new Fleet(options);
}
