import { createHmac } from 'node:crypto';
import type { RenderedMessage } from './format-message.js';

/** What one delivery attempt came to. */
export type DeliveryOutcome =
  | { outcome: 'delivered'; status: number }
  /** Worth another try: a network error, a timeout, 408, 425, 429 or a 5xx answer. */
  | { outcome: 'retry'; status: number | null; retryAfterMs: number | null; reason: string }
  /** Another try would be answered the same (a wrong URL, a revoked token): given up at once. */
  | { outcome: 'rejected'; status: number; reason: string };

export interface DeliveryRequest {
  url: string;
  message: RenderedMessage;
  /** Stable per message and target, for receivers that de-duplicate. */
  messageId: string;
  eventName: string;
  /** When set, the body is signed with HMAC-SHA256 (`X-Loompa-Signature-256: sha256=<hex>`). */
  signingKey: string | null;
  timeoutMs: number;
  abortSignal: AbortSignal;
}

const retriedStatuses = new Set([408, 425, 429]);

/** `Retry-After` as seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Posts one message. Never throws: every failure is an outcome. The URL is a secret (a Slack
 * webhook URL carries its token), so no outcome mentions it, and errors are described by kind.
 */
export async function deliverWebhook(request: DeliveryRequest): Promise<DeliveryOutcome> {
  const headers: Record<string, string> = {
    'content-type': request.message.contentType,
    'user-agent': 'loompa-notifications',
    'x-loompa-event': request.eventName,
    'x-loompa-delivery': request.messageId,
  };
  if (request.signingKey !== null) {
    const signature = createHmac('sha256', request.signingKey).update(request.message.body).digest('hex');
    headers['x-loompa-signature-256'] = `sha256=${signature}`;
  }
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers,
      body: request.message.body,
      redirect: 'error',
      signal: AbortSignal.any([request.abortSignal, AbortSignal.timeout(request.timeoutMs)]),
    });
  } catch (error) {
    const name = (error as Error).name;
    const reason =
      name === 'TimeoutError'
        ? `no answer within ${request.timeoutMs} ms`
        : name === 'AbortError'
          ? 'the notifier stopped'
          : `the request failed (${((error as { cause?: { code?: string } }).cause?.code ?? name) || 'network error'})`;
    return { outcome: 'retry', status: null, retryAfterMs: null, reason };
  }
  // The answer's body is not needed; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return { outcome: 'delivered', status: response.status };
  const reason = `the receiver answered ${response.status}`;
  if (retriedStatuses.has(response.status) || response.status >= 500) {
    return {
      outcome: 'retry',
      status: response.status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      reason,
    };
  }
  return { outcome: 'rejected', status: response.status, reason };
}
