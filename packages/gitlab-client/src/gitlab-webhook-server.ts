import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError, type Logger } from '@loompa/core';
import { createGitLabWebhookReceiver, type GitLabWebhookEvent } from './gitlab-webhook-receiver.js';

export interface GitLabWebhookServerOptions {
  secret: string;
  /** 127.0.0.1 by default. */
  host?: string;
  /** 0 picks a free port (such a server is never shared). */
  port?: number;
  /** `/gitlab/webhooks` by default. */
  path?: string;
  logger?: Logger;
}

export type GitLabWebhookListener = (event: GitLabWebhookEvent) => void;

interface SharedServer {
  started: Promise<{ server: Server; url: string }>;
  listeners: Set<GitLabWebhookListener>;
}

const servers = new Map<string, SharedServer>();

function startServer(options: GitLabWebhookServerOptions, listeners: Set<GitLabWebhookListener>) {
  const path = options.path ?? '/gitlab/webhooks';
  const receiver = createGitLabWebhookReceiver({
    secret: options.secret,
    ...(options.logger ? { logger: options.logger } : {}),
    onEvent: (event) => {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          options.logger?.warn('a GitLab webhook listener failed', { message: describeError(error) });
        }
      }
    },
  });
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || (request.url ?? '').split('?')[0] !== path) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end(`GitLab webhooks are received at POST ${path}`);
      return;
    }
    receiver.listener(request, response);
  });
  return new Promise<{ server: Server; url: string }>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const address = server.address() as AddressInfo;
      resolve({ server, url: `http://${options.host ?? '127.0.0.1'}:${address.port}${path}` });
    });
  });
}

/**
 * Subscribes to the process's GitLab webhook endpoint for this host, port and path,
 * starting it for the first subscriber and closing it after the last, so a workflow's
 * tracker and SCM provider share one endpoint (and one de-duplication of deliveries).
 */
export async function subscribeToGitLabWebhooks(
  options: GitLabWebhookServerOptions,
  listener: GitLabWebhookListener,
): Promise<{ url: string; unsubscribe: () => Promise<void> }> {
  const key = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}:${options.path ?? '/gitlab/webhooks'}`;
  const shareable = (options.port ?? 0) !== 0;
  let shared = shareable ? servers.get(key) : undefined;
  if (!shared) {
    const listeners = new Set<GitLabWebhookListener>();
    shared = { started: startServer(options, listeners), listeners };
    if (shareable) servers.set(key, shared);
    const created = shared;
    created.started.catch(() => {
      if (servers.get(key) === created) servers.delete(key);
    });
  }
  const entry = shared;
  entry.listeners.add(listener);
  let started: { server: Server; url: string };
  try {
    started = await entry.started;
  } catch (error) {
    entry.listeners.delete(listener);
    throw error;
  }
  let done = false;
  return {
    url: started.url,
    async unsubscribe() {
      if (done) return;
      done = true;
      entry.listeners.delete(listener);
      if (entry.listeners.size > 0) return;
      if (servers.get(key) === entry) servers.delete(key);
      started.server.closeAllConnections();
      await new Promise<void>((resolve) => started.server.close(() => resolve()));
    },
  };
}
