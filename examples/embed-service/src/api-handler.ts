import type http from 'node:http';
import {
  describeError,
  type Logger,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorSnapshot,
  redactValue,
} from '@loompa/core';
import { toEventLine } from './event-json-line.js';
import { createRefreshCoalescer } from './refresh-coalescer.js';
import { type EventStream, openEventStream } from './server-sent-events.js';

/** The path every route lives under. */
export const apiPrefix = '/api/v1';

export interface LoompaApiHandler {
  /** Answers requests under `/api/v1`; returns false for other paths so a service can route them. */
  handle(request: http.IncomingMessage, response: http.ServerResponse): boolean;
  /** Ends every event stream and waits for a pending refresh. */
  close(): Promise<void>;
}

export interface LoompaApiHandlerOptions {
  logger?: Logger;
}

function sendJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}

function sendError(
  response: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
) {
  sendJson(response, status, { error: { code, message } }, headers);
}

/** Everything the orchestrator holds about one issue, found by identifier (case-insensitive). */
export function findIssueInSnapshot(snapshot: OrchestratorSnapshot, identifier: string) {
  const wanted = identifier.toLowerCase();
  const matches = (item: { identifier: string }) => item.identifier.toLowerCase() === wanted;
  const running = snapshot.running.find(matches) ?? null;
  const retrying = snapshot.retrying.find(matches) ?? null;
  const awaiting = snapshot.awaiting.find(matches) ?? null;
  const blocked = snapshot.blocked.find(matches) ?? null;
  const found = running ?? retrying ?? awaiting ?? blocked;
  if (!found) return null;
  const status = running ? 'running' : retrying ? 'retrying' : awaiting ? 'awaiting' : 'blocked';
  return {
    identifier: found.identifier,
    issueId: found.issueId,
    status,
    running,
    retrying,
    awaiting,
    blocked,
  };
}

/**
 * The HTTP API of an embedded orchestrator:
 * `GET /api/v1/state` (the snapshot), `GET /api/v1/<identifier>` (one issue; 404 when the
 * orchestrator holds nothing for it), `POST /api/v1/refresh` (202; a tick soon, repeated
 * requests while one is pending coalesced) and `GET /api/v1/events` (server-sent events, one
 * per orchestrator event). A known path with the wrong method is a 405 with `Allow`.
 */
export function createLoompaApiHandler(
  orchestrator: Orchestrator,
  options: LoompaApiHandlerOptions = {},
): LoompaApiHandler {
  const streams = new Set<EventStream>();
  const refresh = createRefreshCoalescer(
    () => orchestrator.tick(),
    (error) => options.logger?.warn('refresh tick failed', { message: describeError(error) }),
  );
  const routes: Record<
    string,
    { method: string; answer: (request: http.IncomingMessage, response: http.ServerResponse) => void }
  > = {
    state: {
      method: 'GET',
      answer: (_request, response) => sendJson(response, 200, redactValue(orchestrator.snapshot())),
    },
    refresh: {
      method: 'POST',
      answer: (request, response) => {
        request.resume();
        sendJson(response, 202, refresh.request());
      },
    },
    events: {
      method: 'GET',
      answer: (request, response) => {
        const onEvent = (event: OrchestratorEvent) => stream.send(event.type, toEventLine(event));
        const stream = openEventStream(request, response, () => {
          orchestrator.events.off('event', onEvent);
          streams.delete(stream);
        });
        streams.add(stream);
        orchestrator.events.on('event', onEvent);
      },
    },
  };

  return {
    handle(request, response) {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== apiPrefix && !url.pathname.startsWith(`${apiPrefix}/`)) return false;
      const segments = url.pathname.slice(apiPrefix.length).split('/').filter(Boolean);
      const method = request.method ?? 'GET';
      if (segments.length !== 1) {
        sendError(response, 404, 'not_found', `No route for ${url.pathname}`);
        return true;
      }
      const name = decodeURIComponent(segments[0]!);
      const route = routes[name];
      const allowed = route?.method ?? 'GET';
      const acceptable = method === allowed || (allowed === 'GET' && method === 'HEAD');
      if (!acceptable) {
        sendError(
          response,
          405,
          'method_not_allowed',
          `${method} is not allowed on ${url.pathname}; use ${allowed}`,
          {
            allow: allowed === 'GET' ? 'GET, HEAD' : allowed,
          },
        );
        return true;
      }
      if (route) {
        route.answer(request, response);
        return true;
      }
      const issue = findIssueInSnapshot(orchestrator.snapshot(), name);
      if (!issue) {
        sendError(response, 404, 'issue_not_found', `The orchestrator holds nothing for issue "${name}"`);
      } else {
        sendJson(response, 200, redactValue(issue));
      }
      return true;
    },
    async close() {
      for (const stream of [...streams]) stream.close();
      await refresh.settled();
    },
  };
}
