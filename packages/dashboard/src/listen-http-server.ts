import type http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
  /** Runs first on close, while connections are still open (Loompa's handler ends its event streams). */
  beforeClose?: () => Promise<void>;
}

export interface ListeningHttpServer {
  /** Base URL such as `http://127.0.0.1:4100`. */
  readonly url: string;
  readonly server: http.Server;
  /** Runs `beforeClose`, drops every connection (event streams never end by themselves) and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts `server` listening and resolves once it does (rejects when the address is taken), for
 * Loompa's own server and for a service that mounts Loompa's handler in a server of its own.
 */
export async function listenHttpServer(
  server: http.Server,
  options: ListenOptions = {},
): Promise<ListeningHttpServer> {
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
      await options.beforeClose?.();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
