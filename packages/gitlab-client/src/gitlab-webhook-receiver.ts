import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSilentLogger, describeError, type Logger, registerSecret } from '@loompa/core';

/**
 * GitLab's side of the webhook receiver. GitLab signs nothing: it sends the configured
 * secret as `X-Gitlab-Token`, so the token is compared in constant time. GitLab retries
 * deliveries, so each one is remembered by `Idempotency-Key` (or `X-Gitlab-Event-UUID`)
 * and a repeat is acknowledged without being handled twice.
 */

export interface GitLabWebhookEvent {
  /** `X-Gitlab-Event`, e.g. `Issue Hook`. */
  name: string;
  /** The payload's `object_kind`, e.g. `issue`, `merge_request`, `note`, `pipeline`. */
  objectKind: string | null;
  /** The delivery's id (`Idempotency-Key`, else `X-Gitlab-Event-UUID`), when GitLab sent one. */
  deliveryId: string | null;
  projectPath: string | null;
  payload: Record<string, unknown>;
}

export interface GitLabWebhookReceiverOptions {
  /** The secret token configured on the GitLab webhook. */
  secret: string;
  onEvent(event: GitLabWebhookEvent): void | Promise<void>;
  /** Delivery ids remembered for de-duplication (1,000 by default). */
  rememberedDeliveries?: number;
  logger?: Logger;
}

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: string | Buffer;
}

export interface WebhookAnswer {
  status: number;
  body: string;
}

export interface GitLabWebhookReceiver {
  /** Checks, de-duplicates and dispatches one delivery. */
  handle(request: WebhookRequest): Promise<WebhookAnswer>;
  /** The same as a `node:http` request listener. */
  listener(request: IncomingMessage, response: ServerResponse): void;
}

function header(headers: WebhookRequest['headers'], name: string): string | null {
  const value = headers[name] ?? headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

/** Equal-length digests keep the comparison constant-time whatever the lengths of the inputs. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function createGitLabWebhookReceiver(options: GitLabWebhookReceiverOptions): GitLabWebhookReceiver {
  if (options.secret === '') throw new Error('A GitLab webhook receiver needs a non-empty secret token');
  registerSecret(options.secret);
  const logger = options.logger ?? createSilentLogger();
  const capacity = options.rememberedDeliveries ?? 1_000;
  const seen = new Set<string>();
  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > capacity) seen.delete(seen.values().next().value as string);
  };

  const handle = async (request: WebhookRequest): Promise<WebhookAnswer> => {
    const token = header(request.headers, 'x-gitlab-token');
    if (token === null || !sameSecret(token, options.secret)) {
      logger.warn('GitLab webhook refused: missing or wrong X-Gitlab-Token');
      return { status: 401, body: 'invalid X-Gitlab-Token' };
    }
    const deliveryId =
      header(request.headers, 'idempotency-key') ?? header(request.headers, 'x-gitlab-event-uuid');
    if (deliveryId !== null && seen.has(deliveryId))
      return { status: 200, body: 'duplicate delivery ignored' };
    let payload: Record<string, unknown>;
    try {
      const parsed = JSON.parse(request.body.toString()) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      payload = parsed as Record<string, unknown>;
    } catch (error) {
      return { status: 400, body: `the body is not a JSON object: ${describeError(error)}` };
    }
    const project = payload.project as { path_with_namespace?: unknown } | undefined;
    const event: GitLabWebhookEvent = {
      name: header(request.headers, 'x-gitlab-event') ?? 'unknown',
      objectKind: typeof payload.object_kind === 'string' ? payload.object_kind : null,
      deliveryId,
      projectPath: typeof project?.path_with_namespace === 'string' ? project.path_with_namespace : null,
      payload,
    };
    try {
      await options.onEvent(event);
    } catch (error) {
      logger.error('handling a GitLab webhook failed', { event: event.name, message: describeError(error) });
      return { status: 500, body: 'handling the event failed' };
    }
    // Remembered only once handled, so a delivery whose handling failed is handled on GitLab's retry.
    if (deliveryId !== null) remember(deliveryId);
    return { status: 200, body: 'ok' };
  };

  return {
    handle,
    listener(request, response) {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void handle({ headers: request.headers, body: Buffer.concat(chunks) }).then((answer) => {
          response.writeHead(answer.status, { 'content-type': 'text/plain' });
          response.end(answer.body);
        });
      });
    },
  };
}
