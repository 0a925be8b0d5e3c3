import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLoompaHttpHandler,
  type LoompaHttpHandler,
  type LoompaHttpHandlerOptions,
} from './loompa-http-handler.js';

export interface LoompaHttpServerOptions extends LoompaHttpHandlerOptions {
  /** Default 127.0.0.1. Another address needs a token (`token` or `LOOMPA_API_TOKEN`) for the API. */
  host?: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
}

export interface LoompaHttpServer {
  /** Base URL such as `http://127.0.0.1:4100`. */
  readonly url: string;
  readonly server: http.Server;
  readonly handler: LoompaHttpHandler;
  /** Ends event streams and stops listening (the orchestrator is left to its owner). */
  close(): Promise<void>;
}

/** Serves the API and the dashboard (see `createLoompaHttpHandler`) on a server of its own. */
export async function startLoompaHttpServer(options: LoompaHttpServerOptions): Promise<LoompaHttpServer> {
  const handler = createLoompaHttpHandler(options);
  const server = http.createServer(handler);
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
    handler,
    async close() {
      await handler.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
