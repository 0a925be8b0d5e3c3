import type http from 'node:http';
import {
  type ControlError,
  describeError,
  type Logger,
  LoompaError,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorSnapshot,
  redactValue,
} from '@loompa/core';
import type { BoardFeed } from './board-feed.js';
import { toEventLine } from './event-json-line.js';
import { readJsonBody, sendError, sendJson } from './http-responses.js';
import type { ItemHistory } from './item-history.js';
import { createRefreshCoalescer } from './refresh-coalescer.js';
import { refusalOfCrossOriginWrite } from './request-guard.js';
import { type EventStream, openEventStream } from './server-sent-events.js';

/** The path every route lives under. */
export const apiPrefix = '/api/v1';

/** Everything the orchestrator holds about one issue, found by identifier (case-insensitive). */
export function findIssueInSnapshot(snapshot: OrchestratorSnapshot, identifier: string) {
  const wanted = identifier.toLowerCase();
  const matches = (item: { identifier: string }) => item.identifier.toLowerCase() === wanted;
  const running = snapshot.running.find(matches) ?? null;
  const retrying = snapshot.retrying.find(matches) ?? null;
  const awaiting = snapshot.awaiting.find(matches) ?? null;
  const blocked = snapshot.blocked.find(matches) ?? null;
  const queued = snapshot.queued.find(matches) ?? null;
  const found = running ?? retrying ?? awaiting ?? blocked ?? queued;
  if (!found) return null;
  const status = running
    ? 'running'
    : retrying
      ? 'retrying'
      : awaiting
        ? 'awaiting'
        : blocked
          ? 'blocked'
          : 'queued';
  return {
    identifier: found.identifier,
    issueId: found.issueId,
    status,
    running,
    retrying,
    awaiting,
    blocked,
    queued,
  };
}

export interface ApiRoutesContext {
  orchestrator: Orchestrator;
  history: ItemHistory;
  board: BoardFeed;
  logger?: Logger;
}

type Answer = (
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: URL,
) => void | Promise<void>;

/** The control actions on one issue, by the last path segment. */
const issueActions = ['retry', 'cancel', 'approve'] as const;
type IssueAction = (typeof issueActions)[number];

const controlStatus: Record<ControlError['reason'], number> = {
  not_found: 404,
  conflict: 409,
  not_supported: 501,
};

/**
 * The HTTP API: `GET state` (the snapshot), `GET board` (snapshot, recently done, budget
 * limits), `GET events` (server-sent events; `?board=1` adds a `board` event whenever it
 * changed), `GET <identifier>` (one issue with its history), `POST refresh`, `POST pause`
 * (`{ "all": true }` pauses everything), `POST resume`, `POST <identifier>/retry|cancel|approve`.
 * Access is checked by the caller; writes are refused cross-origin here.
 */
export function createApiRoutes(context: ApiRoutesContext) {
  const { orchestrator, history, board } = context;
  const streams = new Set<EventStream>();
  const refresh = createRefreshCoalescer(
    () => orchestrator.tick(),
    (error) => context.logger?.warn('refresh tick failed', { message: describeError(error) }),
  );

  const control = async (response: http.ServerResponse, action: () => Promise<void>) => {
    try {
      await action();
      sendJson(response, 200, { ok: true, pause: redactValue(orchestrator.snapshot().pause) });
    } catch (error) {
      if (LoompaError.hasCode(error, 'control_refused')) {
        const refusal = error as ControlError;
        sendError(response, controlStatus[refusal.reason] ?? 409, refusal.reason, refusal.message);
      } else {
        context.logger?.error('a control action failed', { message: describeError(error) });
        sendError(response, 500, 'control_failed', describeError(error));
      }
    }
  };

  const routes: Record<string, { method: 'GET' | 'POST'; answer: Answer }> = {
    state: {
      method: 'GET',
      answer: (_request, response) => sendJson(response, 200, redactValue(orchestrator.snapshot())),
    },
    board: { method: 'GET', answer: (_request, response) => sendJson(response, 200, board.current()) },
    refresh: {
      method: 'POST',
      answer: (request, response) => {
        request.resume();
        sendJson(response, 202, refresh.request());
      },
    },
    pause: {
      method: 'POST',
      answer: async (request, response) => {
        const body = await readJsonBody(request);
        const reason = typeof body.reason === 'string' ? body.reason.slice(0, 500) : undefined;
        await control(response, () =>
          orchestrator.pause({ all: body.all === true, ...(reason ? { reason } : {}) }),
        );
      },
    },
    resume: {
      method: 'POST',
      answer: async (request, response) => {
        await readJsonBody(request);
        await control(response, () => orchestrator.resume());
      },
    },
    events: {
      method: 'GET',
      answer: (request, response, url) => {
        const withBoard = url.searchParams.get('board') === '1';
        const onEvent = (event: OrchestratorEvent) => stream.send(event.type, toEventLine(event));
        let stopBoard: (() => void) | null = null;
        const stream = openEventStream(request, response, () => {
          orchestrator.events.off('event', onEvent);
          stopBoard?.();
          streams.delete(stream);
        });
        streams.add(stream);
        orchestrator.events.on('event', onEvent);
        if (withBoard) {
          const sendBoard = (current: unknown) => stream.send('board', JSON.stringify(current));
          stopBoard = board.subscribe(sendBoard);
          sendBoard(board.current());
        }
      },
    },
  };

  const issueId = (identifier: string): string | null =>
    findIssueInSnapshot(orchestrator.snapshot(), identifier)?.issueId ?? history.issueIdOf(identifier);

  const answerIssueAction = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
    identifier: string,
    action: IssueAction,
  ) => {
    const body = await readJsonBody(request);
    const id = issueId(identifier);
    if (id === null) {
      sendError(response, 404, 'issue_not_found', `The orchestrator holds nothing for issue "${identifier}"`);
      return;
    }
    if (action === 'retry') return control(response, () => orchestrator.retry(id));
    if (action === 'cancel') return control(response, () => orchestrator.cancel(id));
    const reviewer =
      typeof body.reviewer === 'string' && body.reviewer.trim() !== ''
        ? body.reviewer.trim().slice(0, 100)
        : 'dashboard';
    return control(response, () => orchestrator.approve(id, { reviewer }));
  };

  const answerIssue = (response: http.ServerResponse, identifier: string) => {
    const found = findIssueInSnapshot(orchestrator.snapshot(), identifier);
    const id = found?.issueId ?? history.issueIdOf(identifier);
    const itemHistory = id === null ? null : history.of(id);
    if (!found && !itemHistory) {
      sendError(response, 404, 'issue_not_found', `The orchestrator holds nothing for issue "${identifier}"`);
      return;
    }
    const done = history.recentlyDone().find((item) => item.issueId === id) ?? null;
    const item = found ?? {
      identifier: itemHistory!.identifier,
      issueId: id,
      status: done ? 'done' : 'released',
    };
    sendJson(response, 200, redactValue({ ...item, done, history: itemHistory }));
  };

  const methodNotAllowed = (
    response: http.ServerResponse,
    method: string,
    pathname: string,
    allowed: string,
  ) =>
    sendError(
      response,
      405,
      'method_not_allowed',
      `${method} is not allowed on ${pathname}; use ${allowed}`,
      {
        allow: allowed === 'GET' ? 'GET, HEAD' : allowed,
      },
    );

  return {
    /** Answers a request under the prefix (access already checked). */
    async handle(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
      const segments = url.pathname
        .slice(apiPrefix.length)
        .split('/')
        .filter(Boolean)
        .map((segment) => decodeURIComponent(segment));
      const method = request.method ?? 'GET';
      const isRead = method === 'GET' || method === 'HEAD';
      const route = segments.length === 1 ? routes[segments[0]!] : undefined;
      const action = segments.length === 2 ? issueActions.find((name) => name === segments[1]) : undefined;
      if (segments.length === 0 || segments.length > 2 || (segments.length === 2 && !action)) {
        sendError(response, 404, 'not_found', `No route for ${url.pathname}`);
        return;
      }
      const allowed = route?.method ?? (action ? 'POST' : 'GET');
      if (!(method === allowed || (allowed === 'GET' && method === 'HEAD'))) {
        methodNotAllowed(response, method, url.pathname, allowed);
        return;
      }
      if (!isRead) {
        const refusal = refusalOfCrossOriginWrite(request);
        if (refusal) {
          request.resume();
          sendError(response, refusal.status, refusal.code, refusal.message);
          return;
        }
      }
      try {
        if (route) await route.answer(request, response, url);
        else if (action) await answerIssueAction(request, response, segments[0]!, action);
        else answerIssue(response, segments[0]!);
      } catch (error) {
        if (!response.headersSent) sendError(response, 400, 'bad_request', describeError(error));
      }
    },
    async close(): Promise<void> {
      for (const stream of [...streams]) stream.close();
      await refresh.settled();
    },
  };
}
