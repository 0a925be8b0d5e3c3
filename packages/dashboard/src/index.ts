/**
 * @loompa/dashboard: the orchestrator's HTTP API (`/api/v1`: state, board, items with their
 * history, server-sent events, and the controls pause, resume, retry, cancel, approve) and the
 * live web dashboard at `/`, as one Node request handler. This file is the package's public face.
 */

export { apiPrefix, findIssueInSnapshot } from './api-routes.js';
export type { Board } from './board-feed.js';
export { type EventLine, issueIdentifierOf, toEventLine } from './event-json-line.js';
export type { DoneItem, HistoryEntry, ItemHistoryLimits } from './item-history.js';
export { type ListeningHttpServer, type ListenOptions, listenHttpServer } from './listen-http-server.js';
export {
  createLoompaHttpHandler,
  type LoompaHttpHandler,
  type LoompaHttpHandlerOptions,
} from './loompa-http-handler.js';
export { createRefreshCoalescer, type RefreshAcceptance } from './refresh-coalescer.js';
export { type Refusal, refusalOfAccess, refusalOfCrossOriginWrite, tokensMatch } from './request-guard.js';
export { type EventStream, openEventStream } from './server-sent-events.js';
export {
  type LoompaHttpServer,
  type LoompaHttpServerOptions,
  startLoompaHttpServer,
} from './start-loompa-http-server.js';
