import {
  type BudgetStatus,
  describeError,
  type Logger,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorSnapshot,
  redactValue,
} from '@loompa/core';
import type { DoneItem, ItemHistory } from './item-history.js';

/** What the dashboard draws: the snapshot, recently finished items and the budget's limits. */
export interface Board {
  snapshot: OrchestratorSnapshot;
  done: DoneItem[];
  budget: BudgetStatus | null;
}

/** Events after which the budget's limits are read again (spend or limits changed). */
const budgetEvents = new Set<OrchestratorEvent['type']>([
  'agent-run-finished',
  'budget-exceeded',
  'workflow-reloaded',
]);

/** How long events are gathered into one board update: short, so a card follows its agent closely. */
const coalesceMs = 15;

/**
 * Builds boards and tells subscribers when one changed. Events arriving together make one
 * update, so a chatty agent costs a few updates a second, not one per line; nothing polls.
 */
export class BoardFeed {
  private budget: BudgetStatus | null = null;
  private readonly subscribers = new Set<(board: Board) => void>();
  private timer: NodeJS.Timeout | null = null;
  private budgetRead: Promise<void> | null = null;

  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly history: ItemHistory,
    private readonly logger: Logger | undefined,
  ) {
    this.readBudget();
  }

  current(): Board {
    const snapshot = this.orchestrator.snapshot();
    this.history.rememberTitles([...snapshot.queued, ...snapshot.running, ...snapshot.awaiting]);
    return redactValue({
      snapshot,
      done: this.history.recentlyDone(),
      budget: this.budget,
    });
  }

  /** Calls `listener` with every new board until the returned function is called. */
  subscribe(listener: (board: Board) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** An orchestrator event happened: a new board soon. */
  changed(event: OrchestratorEvent): void {
    if (budgetEvents.has(event.type)) this.readBudget();
    if (this.subscribers.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const board = this.current();
      for (const listener of this.subscribers) listener(board);
    }, coalesceMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.subscribers.clear();
    await this.budgetRead;
  }

  private readBudget(): void {
    this.budgetRead = this.orchestrator
      .budgetStatus()
      .then((status) => {
        this.budget = status;
      })
      // Before the first start the orchestrator has no workflow, hence no budget, yet.
      .catch((error: unknown) =>
        this.logger?.debug?.('reading the budget failed', { message: describeError(error) }),
      );
  }
}
