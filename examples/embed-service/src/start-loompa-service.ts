import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, Orchestrator } from '@loompa/core';
import { createLoompaApiHandler } from './api-handler.js';

export interface LoompaServiceOptions {
  orchestrator: Orchestrator;
  /** Default 127.0.0.1: the API has no authentication, so it listens locally unless told otherwise. */
  host?: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
  logger?: Logger;
}

export interface LoompaService {
  /** Base URL such as `http://127.0.0.1:4100`. */
  readonly url: string;
  readonly server: http.Server;
  /** Ends event streams and stops listening (the orchestrator is left to its owner). */
  close(): Promise<void>;
}

/** Serves the orchestrator's HTTP API (see `createLoompaApiHandler`) on its own server. */
export async function startLoompaService(options: LoompaServiceOptions): Promise<LoompaService> {
  const api = createLoompaApiHandler(options.orchestrator, { logger: options.logger });
  const server = http.createServer((request, response) => {
    if (api.handle(request, response)) return;
    response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ error: { code: 'not_found', message: `No route for ${request.url}` } }));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    async close() {
      await api.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
