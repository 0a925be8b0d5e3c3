import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * gitbeaker passes no per-call abort signal to its requester, so the signal of the slot call
 * in progress travels here: `withAbortSignal` runs a block of API calls, and the request
 * handler reads the signal of the block it runs in (also while it waits out a back-off).
 */
const storage = new AsyncLocalStorage<AbortSignal | undefined>();

export function withAbortSignal<Result>(
  abortSignal: AbortSignal | undefined,
  work: () => Promise<Result>,
): Promise<Result> {
  abortSignal?.throwIfAborted();
  return storage.run(abortSignal, work);
}

export function currentAbortSignal(): AbortSignal | undefined {
  return storage.getStore();
}
