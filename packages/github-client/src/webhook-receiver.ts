import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSilentLogger, describeError, type Logger, registerSecret } from '@loompa/core';
import { verifyWithFallback } from '@octokit/webhooks-methods';
import { RecentDeliveryIds } from './recent-delivery-ids.js';

/** One verified, first-seen webhook delivery. */
export interface GitHubWebhookDelivery {
  id: string;
  /** `X-GitHub-Event`, e.g. `issues`. */
  event: string;
  payload: Record<string, unknown>;
}

export type GitHubWebhookListener = (delivery: GitHubWebhookDelivery) => void;

export interface GitHubWebhookReceiverOptions {
  /** The webhook secret; deliveries not signed with it (or an `additionalSecrets` one) are refused. */
  secret: string;
  /** Former secrets still accepted while a rotation is under way. */
  additionalSecrets?: readonly string[];
  /** 127.0.0.1 by default; a relay or reverse proxy forwards GitHub's deliveries here. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  path?: string;
  logger?: Logger;
}

export interface GitHubWebhookReceiver {
  /** Where deliveries are accepted, e.g. `http://127.0.0.1:8787/github/webhooks`. */
  readonly url: string;
  /** Calls `listener` for every verified, first-seen delivery until the returned function is called. */
  subscribe(listener: GitHubWebhookListener): () => void;
  close(): Promise<void>;
}

/** GitHub caps payloads at 25 MB. */
const maximumBodyBytes = 25 * 1024 * 1024;

function readRawBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maximumBodyBytes) {
        resolve(null);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}

/** Verifies and dispatches deliveries; mount `handle` in any Node HTTP server. */
export interface GitHubWebhookHandler {
  /**
   * Answers one delivery (`POST` with GitHub's headers and the raw body; mount it before any
   * body parser). Any path is accepted: where it is mounted decides the path.
   */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** Calls `listener` for every verified, first-seen delivery until the returned function is called. */
  subscribe(listener: GitHubWebhookListener): () => void;
}

/** Either receiver options (a receiver is started, shared per port) or a running receiver or handler to listen on. */
export type GitHubWebhookSource = GitHubWebhookReceiverOptions | Pick<GitHubWebhookHandler, 'subscribe'>;

/**
 * The request handler behind every receiver: checks `X-Hub-Signature-256` over the exact raw
 * body (never a re-serialized one), drops deliveries already seen by `X-GitHub-Delivery`,
 * answers 2xx at once (GitHub gives up after 10 s) and hands the delivery to listeners
 * afterwards, so a slow listener never makes GitHub time out. Mount it in your own HTTP
 * server when Loompa runs inside one; `createGitHubWebhookReceiver` serves it on a port.
 */
export function createGitHubWebhookHandler(
  options: Pick<GitHubWebhookReceiverOptions, 'secret' | 'additionalSecrets' | 'logger'>,
): GitHubWebhookHandler {
  const logger = options.logger ?? createSilentLogger();
  registerSecret(options.secret);
  for (const secret of options.additionalSecrets ?? []) registerSecret(secret);
  const listeners = new Set<GitHubWebhookListener>();
  const seen = new RecentDeliveryIds();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST') return answer(response, 405, 'POST only');
    const body = await readRawBody(request);
    if (body === null) return answer(response, 413, 'payload too large');
    const event = header(request, 'x-github-event');
    const id = header(request, 'x-github-delivery');
    const signature = header(request, 'x-hub-signature-256');
    if (!event || !id) return answer(response, 400, 'missing X-GitHub-Event or X-GitHub-Delivery');
    if (!signature) return answer(response, 401, 'missing X-Hub-Signature-256');
    const rawBody = body.toString('utf8');
    let verified = false;
    try {
      verified = await verifyWithFallback(options.secret, rawBody, signature, [
        ...(options.additionalSecrets ?? []),
      ]);
    } catch {
      verified = false;
    }
    if (!verified) {
      logger.warn('refused a GitHub webhook with a bad signature', { delivery: id, event });
      return answer(response, 401, 'signature does not match');
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return answer(response, 400, 'body is not JSON');
    }
    if (!seen.remember(id)) return answer(response, 200, 'already received');
    answer(response, 202, 'accepted');
    // Listeners run after the answer is on its way.
    setImmediate(() => {
      for (const listener of listeners) {
        try {
          listener({ id, event, payload });
        } catch (error) {
          logger.error('a GitHub webhook listener failed', { delivery: id, message: describeError(error) });
        }
      }
    });
  };

  return {
    async handle(request, response) {
      try {
        await handle(request, response);
      } catch (error) {
        logger.error('GitHub webhook receiver failed', { message: describeError(error) });
        if (!response.headersSent) answer(response, 500, 'receiver failed');
        else response.end();
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Serves `createGitHubWebhookHandler` on its own port and path. One receiver serves every GitHub plugin. */
export async function createGitHubWebhookReceiver(
  options: GitHubWebhookReceiverOptions,
): Promise<GitHubWebhookReceiver> {
  const path = options.path ?? '/github/webhooks';
  const handler = createGitHubWebhookHandler(options);
  const subscriptions = new Set<() => void>();
  const server = createServer((request, response) => {
    const requestPath = new URL(request.url ?? '/', 'http://receiver').pathname;
    if (requestPath !== path) {
      answer(response, 404, 'not found');
      return;
    }
    void handler.handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}${path}`,
    subscribe(listener) {
      const unsubscribe = handler.subscribe(listener);
      subscriptions.add(unsubscribe);
      return () => {
        subscriptions.delete(unsubscribe);
        unsubscribe();
      };
    },
    async close() {
      for (const unsubscribe of subscriptions) unsubscribe();
      subscriptions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
