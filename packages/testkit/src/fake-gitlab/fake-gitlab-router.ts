import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { FakeGitLabProject, FakeGitLabUser } from './fake-gitlab-model.js';

/**
 * Routing for the fake GitLab's REST API: patterns such as `projects/:project/issues/:iid`
 * matched on the raw (still percent-encoded) path below `/api/v4/`, so `group%2Fproject` is
 * one segment exactly as GitLab sees it.
 */

export class FakeGitLabHttpError extends Error {
  /** GitLab answers `{ "message": … }`, sometimes with a list of messages. */
  readonly body: { message: string | string[] };

  constructor(
    readonly status: number,
    message: string | string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(Array.isArray(message) ? message.join('; ') : message);
    this.body = { message };
  }
}

export interface RouteRequest<Input> {
  method: string;
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** Query parameters and JSON body merged (GitLab accepts either), validated by the route's schema. */
  input: Input;
  user: FakeGitLabUser;
  /** The project named by `:project`, when the route has one. */
  project: FakeGitLabProject;
  url: URL;
  headers: IncomingMessage['headers'];
}

export type RouteResult =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; headers?: Record<string, string> }
  | { status: number; list: unknown[] };

export interface Route {
  method: string;
  segments: string[];
  schema: z.ZodType;
  handle(request: RouteRequest<any>): Promise<RouteResult> | RouteResult;
}

/** Declares a route whose input `schema` checks before `handle` runs. */
export function route<Schema extends z.ZodType>(
  method: string,
  pattern: string,
  schema: Schema,
  handle: (request: RouteRequest<z.output<Schema>>) => Promise<RouteResult> | RouteResult,
): Route {
  return { method, segments: pattern.split('/'), schema, handle };
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  rawPath: string,
): { route: Route; params: Record<string, string> } | null {
  const segments = rawPath.split('/');
  for (const candidate of routes) {
    if (candidate.method !== method || candidate.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = candidate.segments.every((segment, index) => {
      const actual = segments[index]!;
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = decodeURIComponent(actual);
        return actual.length > 0;
      }
      return segment === actual;
    });
    if (matches) return { route: candidate, params };
  }
  return null;
}

/**
 * Query parameters as an object: `scope[]=a&scope[]=b` becomes `{ scope: ['a', 'b'] }`, the
 * way GitLab (Rails) reads them.
 */
export function queryObject(url: URL): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) {
    if (key.endsWith('[]')) {
      const name = key.slice(0, -2);
      const list = (result[name] as string[] | undefined) ?? [];
      list.push(value);
      result[name] = list;
    } else {
      result[key] = value;
    }
  }
  return result;
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * One page of `items` with GitLab's offset pagination headers (`x-total`, `x-next-page`,
 * `link`, …). `per_page` defaults to 20 and is capped at 100, as on GitLab.
 */
export function paginate(
  url: URL,
  items: readonly unknown[],
): { body: unknown[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 20) || 20));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const body = items.slice((page - 1) * perPage, page * perPage);
  const pageUrl = (number: number) => {
    const target = new URL(url);
    target.searchParams.set('page', String(number));
    target.searchParams.set('per_page', String(perPage));
    return target.toString();
  };
  const links: string[] = [];
  if (page < totalPages) links.push(`<${pageUrl(page + 1)}>; rel="next"`);
  if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
  links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(totalPages)}>; rel="last"`);
  return {
    body,
    headers: {
      'x-total': String(items.length),
      'x-total-pages': String(totalPages),
      'x-per-page': String(perPage),
      'x-page': String(page),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      link: links.join(', '),
    },
  };
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body === undefined ? '' : JSON.stringify(body));
}
