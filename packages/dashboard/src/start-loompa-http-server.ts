import http from 'node:http';
import { listenHttpServer } from './listen-http-server.js';
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
  const listening = await listenHttpServer(http.createServer(handler), {
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    beforeClose: () => handler.close(),
  });
  return { ...listening, handler };
}
