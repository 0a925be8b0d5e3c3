import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, with what it answered (null while it is held open). */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  answeredStatus: number | null;
}

/** How to answer a request: a status with headers, or `hold` to leave it unanswered until released. */
export type WebhookAnswer = { status: number; headers?: Record<string, string> } | 'hold';

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`; post to any path under it. */
  url: string;
  received: ReceivedWebhook[];
  /** Answers for the next requests, in order; after them every request gets `fallback`. */
  answerNext(...answers: WebhookAnswer[]): void;
  /** The answer once the queued ones are used up (`{ status: 200 }` at first). */
  setFallback(answer: WebhookAnswer): void;
  /** Answers every held request with `answer` (200 by default). */
  releaseHeld(answer?: { status: number }): void;
  /** Requests answered with a 2xx status. */
  accepted(): ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that records webhook deliveries and answers them as a test
 * says: accept, fail (500, 429 with Retry-After), or hold them open like a receiver that hangs.
 */
export async function createWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const queued: WebhookAnswer[] = [];
  let fallback: WebhookAnswer = { status: 200 };
  const held: Array<{ response: ServerResponse; record: ReceivedWebhook }> = [];
  const answer = (
    response: ServerResponse,
    record: ReceivedWebhook,
    reply: { status: number; headers?: Record<string, string> },
  ) => {
    record.answeredStatus = reply.status;
    response.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
    response.end(reply.status < 300 ? 'ok' : 'no');
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record: ReceivedWebhook = {
        path: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        answeredStatus: null,
      };
      received.push(record);
      const reply = queued.shift() ?? fallback;
      if (reply === 'hold') held.push({ response, record });
      else answer(response, record, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answerNext: (...answers) => queued.push(...answers),
    setFallback: (answerToUse) => {
      fallback = answerToUse;
    },
    releaseHeld: (reply = { status: 200 }) => {
      for (const { response, record } of held.splice(0)) {
        if (!response.destroyed) answer(response, record, reply);
      }
    },
    accepted: () =>
      received.filter((record) => record.answeredStatus !== null && record.answeredStatus < 300),
    close: async () => {
      for (const { response } of held.splice(0)) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
