import http from 'node:http';
import type { Logger, Orchestrator } from '@loompa/core';
import { createLoompaHttpHandler, listenHttpServer } from '@loompa/dashboard';

export interface LoompaServiceOptions {
  orchestrator: Orchestrator;
  /** Default 127.0.0.1; another address needs `LOOMPA_API_TOKEN` (or `token`) for the API. */
  host?: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
  /** The API's bearer token; `LOOMPA_API_TOKEN` when absent. */
  token?: string | null;
  logger?: Logger;
}

export interface LoompaService {
  /** Base URL such as `http://127.0.0.1:4100`. */
  readonly url: string;
  readonly server: http.Server;
  /** Ends event streams and stops listening (the orchestrator is left to its owner). */
  close(): Promise<void>;
}

/**
 * A service of its own with Loompa mounted in it: the Loompa handler answers `/api/v1` and
 * the dashboard at `/`, and the service keeps its own routes (here `GET /healthz`).
 */
export async function startLoompaService(options: LoompaServiceOptions): Promise<LoompaService> {
  const loompa = createLoompaHttpHandler({
    orchestrator: options.orchestrator,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const server = http.createServer((request, response) => {
    if (loompa.handle(request, response)) return;
    if (request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('ok\n');
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ error: { code: 'not_found', message: `No route for ${request.url}` } }));
  });
  return listenHttpServer(server, {
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    beforeClose: () => loompa.close(),
  });
}
