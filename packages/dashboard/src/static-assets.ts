import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { safetyHeaders } from './http-responses.js';

const moduleDirectory = path.dirname(fileURLToPath(import.meta.url));
/**
 * The dashboard's files: `public/` next to `src/` and `dist/` alike, so sources and the
 * package's build serve the same; a program that bundles this module copies them to
 * `dashboard-assets/` next to its bundle (the CLI's build does).
 */
const publicDirectory =
  [path.join(moduleDirectory, '..', 'public'), path.join(moduleDirectory, 'dashboard-assets')].find(
    (candidate) => existsSync(path.join(candidate, 'index.html')),
  ) ?? path.join(moduleDirectory, '..', 'public');

/** Request path → file and type; nothing else is served, so no path can reach other files. */
const assets: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/assets/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
};

/** Only the page's own scripts, styles and API: injected markup could run nothing even if it got in. */
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const cache = new Map<string, Buffer>();

/** True when `pathname` is one of the dashboard's files. */
export function isDashboardAsset(pathname: string): boolean {
  return Object.hasOwn(assets, pathname);
}

/** Serves one of the dashboard's files (read once, then from memory). */
export async function serveDashboardAsset(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  pathname: string,
): Promise<void> {
  const asset = assets[pathname]!;
  let body = cache.get(asset.file);
  if (!body) {
    body = await readFile(path.join(publicDirectory, asset.file));
    cache.set(asset.file, body);
  }
  response.writeHead(200, {
    ...safetyHeaders,
    'content-type': asset.type,
    'content-length': body.length,
    'content-security-policy': contentSecurityPolicy,
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
