import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { FencedOutError } from '../../errors/error-classes.js';
import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { LeaderLeaseV1, StoreV1 } from '../../specifications/store.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import { createFencedStore } from './fenced-store.js';
import { guardSideEffects } from './side-effect-guard.js';

/** `sole`: the store has no lease, this orchestrator always decides (today's default). */
export type LeadershipRole = 'sole' | 'leader' | 'standby';

/** Whether this instance decides, for the snapshot and the HTTP API. */
export interface LeadershipSnapshot {
  role: LeadershipRole;
  /** This instance's name on the lease. */
  holder: string;
  /** The fencing token of the leadership held; null unless leading. */
  token: number | null;
  /** When this instance became leader (or standby); null for `sole`. */
  since: Date | null;
  /** The store's name, e.g. `file` or `redis`. */
  store: string | null;
}

export interface LeadershipContext {
  events: OrchestratorEvents;
  logger: Logger;
  now(): number;
  /** `store.lease_ms` in force. */
  leaseMs(): number;
  /** Leads now: read the state again from the shared store (the fenced one) and take the work over. */
  restore(store: OrchestratorStore): Promise<void>;
  /** Lost the lead: stop deciding; resolves once nothing of this term runs any more. */
  stepDown(reason: string): Promise<void>;
  /** Leads after standing by: look at the work now instead of at the next poll. */
  requestTick(): void;
}

/**
 * Who decides when several orchestrators share one store (DESIGN.md §3, issue 19). With a
 * store that has no lease this instance is the sole decider and nothing here does anything.
 * With a lease, one instance leads: it took the lease (`SET NX PX` in Redis) and got a fencing
 * token larger than every earlier one; it renews every third of `store.lease_ms`, and every
 * store write it makes carries the token, so a leader that was frozen past its lease finds its
 * writes refused. The others stand by and try to take the lease as often; the one that gets it
 * reads the state again from the store and adopts the work (runs still on workers, open change
 * requests). A leader that fails to renew, or whose write is fenced out, steps down at once.
 */
export class Leadership {
  readonly holder = `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private role: LeadershipRole = 'sole';
  private store: StoreV1 | OrchestratorStore | null = null;
  private lease: LeaderLeaseV1 | null = null;
  private fenced: OrchestratorStore | null = null;
  private token: number | null = null;
  private validUntil = 0;
  private since: Date | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Acquisitions, renewals and step-downs happen one at a time. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly context: LeadershipContext) {}

  /**
   * Starts with the store: a store without a lease is restored at once (sole decider); with a
   * lease, this instance tries to lead now, and keeps renewing or trying in the background.
   * Returns the store the orchestrator writes through (fenced with a lease).
   */
  async open(store: StoreV1 | OrchestratorStore): Promise<OrchestratorStore> {
    this.store = store;
    const lease = 'leaderLease' in store ? store.leaderLease : undefined;
    if (!lease) {
      await this.context.restore(store);
      return store;
    }
    this.lease = lease;
    this.role = 'standby';
    this.since = new Date(this.context.now());
    this.fenced = createFencedStore(store as StoreV1, {
      token: () => (this.role === 'leader' ? this.token : null),
      onFencedOut: (error) => this.loseSoon(`a store write was refused: ${error.message}`),
      onRefused: (key, refusedBy) =>
        this.context.logger.warn('a store write was refused: this orchestrator does not lead', {
          key,
          refusedBy,
        }),
    });
    // A store that cannot be reached fails the start, saying where.
    await this.tryToLead({ tickAfter: false, failFast: true });
    this.schedule();
    return this.fenced;
  }

  /** True while this instance may decide: always without a lease; with one, while its lease runs. */
  isLeading(): boolean {
    if (this.role === 'sole') return true;
    if (this.role !== 'leader') return false;
    if (this.context.now() < this.validUntil) return true;
    this.loseSoon('the lease ran out before it was renewed');
    return false;
  }

  /** Throws `FencedOutError` unless this instance may act (checked before every forge and tracker side effect). */
  assertLeading(action: string): void {
    if (this.isLeading()) return;
    throw new FencedOutError(`This orchestrator does not lead (it is ${this.role}); refused to ${action}`, {
      details: { token: this.token },
    });
  }

  /** The tracker or SCM provider with each side effect checked first; as it is without a lease. */
  guard<Plugin extends TrackerV1 | ScmProviderV1 | null>(instance: Plugin): Plugin {
    if (!this.lease || instance === null) return instance;
    return guardSideEffects(instance, (action) => this.assertLeading(action)) as Plugin;
  }

  /** What tracker claims are made as: with a lease, every leader of the same store is one owner, so the next leader holds the claims of the last. */
  claimOwner(fallback: string): string {
    return this.lease && this.store && 'name' in this.store
      ? `leader/${this.store.name}/${this.lease.scope}`
      : fallback;
  }

  snapshot(): LeadershipSnapshot {
    return {
      role: this.role,
      holder: this.holder,
      token: this.role === 'leader' ? this.token : null,
      since: this.since,
      store: this.store && 'name' in this.store ? this.store.name : null,
    };
  }

  /** The orchestrator stops: the lease is given up, so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.transition;
    const { lease, token } = this;
    if (lease && token !== null && this.role === 'leader') {
      this.role = 'standby';
      await lease.release({ holder: this.holder, token }).catch((error: unknown) =>
        this.context.logger.warn('releasing the leader lease failed; it runs out on its own', {
          message: describeError(error),
        }),
      );
    }
    await (this.store as StoreV1 | null)?.close?.().catch(() => {});
  }

  private schedule(): void {
    if (this.stopped) return;
    // A leader renews every third of the lease; a standby asks at least every second, so a
    // released lease (a clean stop) is taken over at once, not a third of the lease later.
    const third = Math.max(50, Math.floor(this.context.leaseMs() / 3));
    const interval = this.role === 'leader' ? third : Math.min(third, 1_000);
    this.timer = setTimeout(() => {
      void this.run(() =>
        this.role === 'leader' ? this.renew() : this.tryToLead({ tickAfter: true, failFast: false }),
      ).finally(() => this.schedule());
    }, interval);
    // The lease never keeps a process alive on its own.
    this.timer.unref();
  }

  private run(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition
      .then(step)
      .catch((error: unknown) =>
        this.context.logger.error('leadership step failed', { message: describeError(error) }),
      );
    return this.transition;
  }

  private async tryToLead({ tickAfter, failFast }: { tickAfter: boolean; failFast: boolean }): Promise<void> {
    if (this.stopped || this.role !== 'standby') return;
    const startedAt = this.context.now();
    let grant: { token: number } | null;
    try {
      grant = await this.lease!.acquire({ holder: this.holder, ttlMs: this.context.leaseMs() });
    } catch (error) {
      if (failFast) throw error;
      this.context.logger.warn('trying to take the leader lease failed; trying again', {
        message: describeError(error),
      });
      return;
    }
    if (!grant || this.stopped) return;
    this.role = 'leader';
    this.token = grant.token;
    this.validUntil = startedAt + this.context.leaseMs();
    this.since = new Date(this.context.now());
    this.context.logger.info('this orchestrator leads now', { holder: this.holder, token: grant.token });
    this.context.events.publish('leadership-acquired', {
      holder: this.holder,
      token: grant.token,
      store: this.snapshot().store ?? '',
      at: this.since,
    });
    try {
      await this.context.restore(this.fenced!);
    } catch (error) {
      await this.stepDown(`reading the state from the store failed: ${describeError(error)}`);
      return;
    }
    if (tickAfter) this.context.requestTick();
  }

  private async renew(): Promise<void> {
    if (this.stopped || this.role !== 'leader' || this.token === null) return;
    const startedAt = this.context.now();
    let renewed: boolean;
    try {
      renewed = await this.lease!.renew({
        holder: this.holder,
        token: this.token,
        ttlMs: this.context.leaseMs(),
      });
    } catch (error) {
      // The store is away: lead on while the lease runs, then stop deciding.
      if (this.context.now() < this.validUntil) {
        this.context.logger.warn('renewing the leader lease failed; trying again', {
          message: describeError(error),
        });
        return;
      }
      await this.stepDown(`the leader lease could not be renewed: ${describeError(error)}`);
      return;
    }
    if (renewed) this.validUntil = startedAt + this.context.leaseMs();
    else await this.stepDown('the leader lease ran out or another orchestrator holds it now');
  }

  /** Called where the loss is noticed (a refused write, a lapsed lease): the step-down runs in order. */
  private loseSoon(reason: string): void {
    if (this.role !== 'leader') return;
    // Nothing may act from now on, even before the step-down has run.
    this.validUntil = 0;
    void this.run(() => this.stepDown(reason));
  }

  private async stepDown(reason: string): Promise<void> {
    if (this.role !== 'leader') return;
    const token = this.token;
    this.role = 'standby';
    this.token = null;
    this.validUntil = 0;
    this.since = new Date(this.context.now());
    this.context.logger.warn('this orchestrator stopped leading; standing by', { reason, token });
    this.context.events.publish('leadership-lost', {
      holder: this.holder,
      token: token ?? 0,
      reason,
      at: this.since,
    });
    // Nothing of this term may still run when a later term begins here.
    await this.context
      .stepDown(reason)
      .catch((error: unknown) =>
        this.context.logger.error('stepping down failed', { message: describeError(error) }),
      );
    // A lease this instance still holds (it only ran out here, a slow event loop) goes now, so
    // the next leader need not wait for it to expire. Compared by holder and token: never another's.
    if (token !== null) await this.lease?.release({ holder: this.holder, token }).catch(() => {});
  }

  /** With a shared store, a stopping leader hands its runs on workers to the next leader instead of cancelling them. */
  get handsOverRuns(): boolean {
    return this.lease !== null;
  }
}
