import { describeError, type Logger } from '@loompa/core';
import {
  createGitHubWebhookReceiver,
  type GitHubWebhookListener,
  type GitHubWebhookReceiverOptions,
  type GitHubWebhookSource,
} from './webhook-receiver.js';

interface SharedReceiver {
  receiver: ReturnType<typeof createGitHubWebhookReceiver>;
  users: number;
}

const receivers = new Map<string, SharedReceiver>();

/**
 * Subscribes to the process's receiver for this host, port and path, starting it for the
 * first subscriber and closing it after the last one leaves, so the tracker and the SCM
 * provider of one workflow share one endpoint. Resolves with the receiver's URL and the
 * function that unsubscribes.
 */
export async function subscribeToGitHubWebhooks(
  options: GitHubWebhookReceiverOptions,
  listener: GitHubWebhookListener,
): Promise<{ url: string; unsubscribe: () => Promise<void> }> {
  const key = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}:${options.path ?? '/github/webhooks'}`;
  // Port 0 means "any free port": such receivers are never shared.
  const shareable = (options.port ?? 0) !== 0;
  let shared = shareable ? receivers.get(key) : undefined;
  if (!shared) {
    shared = { receiver: createGitHubWebhookReceiver(options), users: 0 };
    if (shareable) receivers.set(key, shared);
    shared.receiver.catch(() => receivers.delete(key));
  }
  shared.users += 1;
  const receiver = await shared.receiver;
  const unsubscribeListener = receiver.subscribe(listener);
  const entry = shared;
  let done = false;
  return {
    url: receiver.url,
    async unsubscribe() {
      if (done) return;
      done = true;
      unsubscribeListener();
      entry.users -= 1;
      if (entry.users === 0) {
        if (receivers.get(key) === entry) receivers.delete(key);
        await receiver.close();
      }
    },
  };
}

/**
 * Listens to `source` until `abortSignal` aborts: a running receiver or mounted handler
 * directly, receiver options through the receiver shared per port. A receiver that cannot
 * start is logged and reported to `onError`; polling stays the baseline either way.
 */
export function listenToGitHubWebhooks(
  source: GitHubWebhookSource,
  listener: GitHubWebhookListener,
  options: { abortSignal: AbortSignal; logger: Logger; onError?: (error: unknown) => void },
): void {
  const { abortSignal } = options;
  if (abortSignal.aborted) return;
  const guarded: GitHubWebhookListener = (delivery) => {
    if (!abortSignal.aborted) listener(delivery);
  };
  if ('subscribe' in source) {
    const unsubscribe = source.subscribe(guarded);
    abortSignal.addEventListener('abort', () => unsubscribe(), { once: true });
    return;
  }
  subscribeToGitHubWebhooks(source, guarded).then(
    ({ url, unsubscribe }) => {
      if (abortSignal.aborted) {
        void unsubscribe();
        return;
      }
      options.logger.info('receiving GitHub webhooks', { url });
      abortSignal.addEventListener('abort', () => void unsubscribe(), { once: true });
    },
    (error: unknown) => {
      options.logger.error('the GitHub webhook receiver could not start', { message: describeError(error) });
      options.onError?.(error);
    },
  );
}
