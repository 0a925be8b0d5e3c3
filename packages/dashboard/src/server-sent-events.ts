import type http from 'node:http';

/** How often a comment line is sent so proxies keep an idle stream open. */
const keepAliveIntervalMs = 15_000;

/** An open server-sent events stream. */
export interface EventStream {
  send(event: string, data: string): void;
  close(): void;
}

/** Answers a request with a `text/event-stream` and returns the stream; `onClose` runs once when either side ends it. */
export function openEventStream(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  onClose: () => void,
): EventStream {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();
  response.write(': connected\n\n');
  const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), keepAliveIntervalMs);
  keepAlive.unref();
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    onClose();
  };
  request.on('close', finish);
  response.on('close', finish);
  return {
    send(event, data) {
      if (closed) return;
      // A data field cannot hold a newline; JSON lines never do, but be safe for any text.
      const lines = data
        .split('\n')
        .map((line) => `data: ${line}`)
        .join('\n');
      response.write(`event: ${event}\n${lines}\n\n`);
    },
    close() {
      if (!closed) response.end();
      finish();
    },
  };
}
