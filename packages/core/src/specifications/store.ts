/**
 * Where the orchestrator keeps what cannot be rebuilt from the tracker, the forge and git:
 * attempt counters, blocked items, sessions, cursors. Small on purpose, so a service can put
 * it in its own database. `StoreV1` is the same as a versioned slot, registered by kind.
 */
export interface OrchestratorStore {
  get<Value>(key: string): Promise<Value | undefined>;
  set<Value>(key: string, value: Value): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry whose key starts with `prefix`. */
  list<Value>(prefix: string): Promise<Array<{ key: string; value: Value }>>;
}

/** How a write is fenced: a store with a leader lease refuses a token that is not the current one. */
export interface StoreWriteOptions {
  /**
   * The fencing token of the leadership the writer holds (from `LeaderLeaseV1.acquire`). A
   * store with a lease refuses the write, atomically with it, when a newer token was handed
   * out since, throwing `FencedOutError` (code `fenced_out`). Absent: an unfenced write.
   */
  fencingToken?: number;
}

/** One acquisition of the leadership: the fencing token is larger than every one before it. */
export interface LeaderLeaseGrant {
  token: number;
}

/**
 * A leader lease shared by every orchestrator of a project (DESIGN.md §3): one holds it and
 * decides, the others wait. Each acquisition hands out a larger fencing token; writes carry it.
 */
export interface LeaderLeaseV1 {
  /**
   * What the lease covers, the same for every orchestrator sharing it (e.g. the Redis key
   * prefix): core makes tracker claims as `leader/<store>/<scope>`, so a new leader holds its
   * predecessor's claims at once instead of waiting for them to lapse.
   */
  readonly scope: string;
  /** Takes the lease when nobody holds it; null when another holder does. */
  acquire(options: { holder: string; ttlMs: number }): Promise<LeaderLeaseGrant | null>;
  /** Extends the lease; false when `holder` with `token` no longer holds it (it expired, another took it). */
  renew(options: { holder: string; token: number; ttlMs: number }): Promise<boolean>;
  /** Gives the lease up at once (a clean shutdown), if this holder still holds it. */
  release(options: { holder: string; token: number }): Promise<void>;
}

/**
 * Version 1 of the store slot: where the orchestrator keeps what cannot be rebuilt from the
 * tracker, the forge and git (`OrchestratorStore`'s four methods). Files by default; a store
 * several orchestrators share offers `leaderLease`, and then only the leader decides and every
 * write it makes carries its fencing token.
 */
export interface StoreV1 extends OrchestratorStore {
  readonly specificationVersion: 'store-v1';
  /** Shown in logs and snapshots, e.g. `file` or `redis`. */
  readonly name: string;
  set<Value>(key: string, value: Value, options?: StoreWriteOptions): Promise<void>;
  delete(key: string, options?: StoreWriteOptions): Promise<void>;
  /** Optional: a leader lease, for stores several orchestrators share. */
  readonly leaderLease?: LeaderLeaseV1;
  /** Releases connections; the orchestrator calls it when it stops. */
  close?(): Promise<void>;
}
