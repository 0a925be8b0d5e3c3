import { FencedOutError } from '../../errors/error-classes.js';
import { LoompaError } from '../../errors/loompa-error.js';
import type { StoreV1 } from '../../specifications/store.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';

export interface FencingSource {
  /** The token of the leadership held now; null while standing by. */
  token(): number | null;
  /** The store refused a write: another instance leads. */
  onFencedOut(error: FencedOutError): void;
  /** A write was refused, here (standing by) or by the store (a newer token): for the logs. */
  onRefused(key: string, refusedBy: 'this orchestrator' | 'the store'): void;
}

/**
 * The store as the leader writes to it: every write carries the leader's fencing token, and
 * the store refuses it atomically when a newer token was handed out. A standby writes nothing;
 * a refusal tells the leadership to step down and is thrown to the step that wrote, which ends.
 */
export function createFencedStore(store: StoreV1, source: FencingSource): OrchestratorStore {
  const fenced = async (key: string, write: (fencingToken: number) => Promise<void>): Promise<void> => {
    const token = source.token();
    if (token === null) {
      source.onRefused(key, 'this orchestrator');
      throw new FencedOutError(
        `This orchestrator does not lead; the write of ${JSON.stringify(key)} is refused`,
        {
          details: { token: null },
        },
      );
    }
    try {
      await write(token);
    } catch (error) {
      if (LoompaError.hasCode(error, 'fenced_out')) {
        source.onRefused(key, 'the store');
        source.onFencedOut(error as FencedOutError);
      }
      throw error;
    }
  };
  return {
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    set: (key, value) => fenced(key, (fencingToken) => store.set(key, value, { fencingToken })),
    delete: (key) => fenced(key, (fencingToken) => store.delete(key, { fencingToken })),
  };
}
