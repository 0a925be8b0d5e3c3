/**
 * @loompa/embed-service: the orchestrator inside a Node HTTP service, with its state, items,
 * refresh and events served over HTTP. This file is the package's public face.
 */

export {
  apiPrefix,
  createLoompaApiHandler,
  findIssueInSnapshot,
  type LoompaApiHandler,
  type LoompaApiHandlerOptions,
} from './api-handler.js';
export { type EventLine, issueIdentifierOf, toEventLine } from './event-json-line.js';
export { createRefreshCoalescer, type RefreshAcceptance } from './refresh-coalescer.js';
export { type EventStream, openEventStream } from './server-sent-events.js';
export { type LoompaService, type LoompaServiceOptions, startLoompaService } from './start-loompa-service.js';
