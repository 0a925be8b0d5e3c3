import { InvalidArgumentError } from '../../errors/error-classes.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';

/** One change request number asked for at runtime (`orchestrator.babysit`, `loompa babysit`). */
export interface BabysitRequest {
  number: number;
  /** ISO time it was asked for. */
  requestedAt: string;
}

/** The store key prefix of runtime babysit requests; one key per number, so writers never race. */
export const babysitRequestPrefix = 'babysit/';

/** The store key of a runtime babysit request. */
export const babysitRequestKeyFor = (number: number) => `${babysitRequestPrefix}${number}`;

/** Throws unless `number` is a change request number (a positive integer). */
export function assertChangeRequestNumber(number: number): void {
  if (!Number.isSafeInteger(number) || number <= 0) {
    throw new InvalidArgumentError(`A change request number is a positive integer; got ${String(number)}`);
  }
}

/**
 * Asks the orchestrator using `store` to babysit change request `number`. Written straight to
 * the store (one key per number), so a restart keeps it, and a CLI that opens the same file
 * store reaches a running instance on its next poll.
 */
export async function requestBabysit(store: OrchestratorStore, number: number): Promise<void> {
  assertChangeRequestNumber(number);
  const request: BabysitRequest = { number, requestedAt: new Date().toISOString() };
  await store.set(babysitRequestKeyFor(number), request);
}

/** The numbers asked for at runtime, in ascending order; malformed entries are ignored. */
export async function listBabysitRequests(store: OrchestratorStore): Promise<number[]> {
  const numbers = new Set<number>();
  for (const { value } of await store.list<BabysitRequest>(babysitRequestPrefix)) {
    if (Number.isSafeInteger(value?.number) && value.number > 0) numbers.add(value.number);
  }
  return [...numbers].sort((left, right) => left - right);
}

/** The change request is merged or closed: its runtime request is done. */
export async function forgetBabysitRequest(store: OrchestratorStore, number: number): Promise<void> {
  await store.delete(babysitRequestKeyFor(number));
}
