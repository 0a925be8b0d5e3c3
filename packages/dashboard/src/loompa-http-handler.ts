import type http from 'node:http';
import { type Logger, type Orchestrator, registerSecret } from '@loompa/core';
import { apiPrefix, createApiRoutes } from './api-routes.js';
import { BoardFeed } from './board-feed.js';
import { sendError } from './http-responses.js';
import { ItemHistory, type ItemHistoryLimits } from './item-history.js';
import { refusalOfAccess } from './request-guard.js';
import { isDashboardAsset, serveDashboardAsset } from './static-assets.js';

export interface LoompaHttpHandlerOptions {
  orchestrator: Orchestrator;
  /**
   * The bearer token asked of requests from beyond loopback; `LOOMPA_API_TOKEN` when absent.
   * Without one, such requests are refused.
   */
  token?: string | null;
  /** `always` asks for the token on loopback too (for example behind a proxy on the same host). */
  requireToken?: 'beyond-loopback' | 'always';
  /** Serve the dashboard at `/` (default true); false serves the API only. */
  dashboard?: boolean;
  /** How much of each item's history is kept for item pages opened late. */
  history?: ItemHistoryLimits;
  logger?: Logger;
}

/** A Node request listener serving `/api/v1` and the dashboard; mount it or pass it to `http.createServer`. */
export interface LoompaHttpHandler {
  /** Answers every request; paths it does not serve get a JSON 404. */
  (request: http.IncomingMessage, response: http.ServerResponse): void;
  /** Answers requests for its paths and returns false for others, so a service can route them. */
  handle(request: http.IncomingMessage, response: http.ServerResponse): boolean;
  /** Ends every event stream and stops listening to the orchestrator. */
  close(): Promise<void>;
}

/**
 * The one request handler behind `loompa run --port` and services embedding Loompa: the
 * HTTP API under `/api/v1` and the live dashboard at `/`. It keeps a bounded history per item
 * from the orchestrator's events (so create it before `start()` to see everything).
 */
export function createLoompaHttpHandler(options: LoompaHttpHandlerOptions): LoompaHttpHandler {
  const { orchestrator, logger } = options;
  const token = options.token === undefined ? process.env.LOOMPA_API_TOKEN || null : options.token;
  // Never in a log, an event or an error, whoever gives it.
  if (token) registerSecret(token);
  const guard = {
    token,
    requireToken: options.requireToken ?? 'beyond-loopback',
  } as const;
  const history = new ItemHistory(options.history);
  const board = new BoardFeed(orchestrator, history, logger);
  const onEvent = (event: Parameters<typeof history.record>[0]) => {
    history.record(event);
    board.changed(event);
  };
  orchestrator.events.on('event', onEvent);
  const api = createApiRoutes({ orchestrator, history, board, ...(logger ? { logger } : {}) });
  const serveDashboard = options.dashboard ?? true;

  const handle = (request: http.IncomingMessage, response: http.ServerResponse): boolean => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const isApi = url.pathname === apiPrefix || url.pathname.startsWith(`${apiPrefix}/`);
    if (!isApi) {
      if (!serveDashboard || !isDashboardAsset(url.pathname)) return false;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendError(
          response,
          405,
          'method_not_allowed',
          `${request.method} is not allowed on ${url.pathname}`,
          { allow: 'GET, HEAD' },
        );
        return true;
      }
      // The page holds no data (it asks the API, with the token, for everything), so it is served to anyone.
      void serveDashboardAsset(request, response, url.pathname).catch((error: unknown) => {
        logger?.error('serving a dashboard file failed', { message: String(error) });
        if (!response.headersSent)
          sendError(response, 500, 'asset_failed', 'The dashboard file could not be read');
      });
      return true;
    }
    const refusal = refusalOfAccess(request, guard);
    if (refusal) {
      request.resume();
      sendError(
        response,
        refusal.status,
        refusal.code,
        refusal.message,
        refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
      );
      return true;
    }
    void api.handle(request, response, url);
    return true;
  };

  const listener = ((request: http.IncomingMessage, response: http.ServerResponse) => {
    if (!handle(request, response))
      sendError(
        response,
        404,
        'not_found',
        `No route for ${new URL(request.url ?? '/', 'http://localhost').pathname}`,
      );
  }) as LoompaHttpHandler;
  listener.handle = handle;
  listener.close = async () => {
    orchestrator.events.off('event', onEvent);
    await api.close();
    await board.close();
  };
  return listener;
}
