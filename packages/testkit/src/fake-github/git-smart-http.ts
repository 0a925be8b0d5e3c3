import { execFile, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `/owner/name.git/<service path>`: the URLs git uses for smart HTTP. */
const gitPathPattern = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/;

export interface GitRequestTarget {
  owner: string;
  name: string;
  /** What follows `.git`, e.g. `/info/refs` or `/git-receive-pack`. */
  pathInfo: string;
  /** `git-upload-pack` (fetch, clone) or `git-receive-pack` (push). */
  service: 'git-upload-pack' | 'git-receive-pack';
}

export function gitRequestTarget(pathname: string, searchParams: URLSearchParams): GitRequestTarget | null {
  const match = gitPathPattern.exec(pathname);
  if (!match) return null;
  const pathInfo = match[3]!;
  const service =
    pathInfo === '/info/refs'
      ? searchParams.get('service')
      : pathInfo.startsWith('/git-')
        ? pathInfo.slice(1)
        : null;
  if (service !== 'git-upload-pack' && service !== 'git-receive-pack') return null;
  return { owner: match[1]!, name: match[2]!, pathInfo, service };
}

/** The token in a Basic `Authorization` header (git sends the token as the password). */
export function tokenFromBasicAuthorization(authorization: string | undefined): string | null {
  const match = /^basic\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const password = separator === -1 ? decoded : decoded.slice(separator + 1);
  return password || (separator === -1 ? null : decoded.slice(0, separator)) || null;
}

/** Creates the bare repository behind `owner/name` on first use. */
export async function ensureBareRepository(
  root: string,
  owner: string,
  name: string,
  defaultBranch: string,
): Promise<string> {
  const repositoryPath = path.join(root, owner.toLowerCase(), `${name.toLowerCase()}.git`);
  await mkdir(repositoryPath, { recursive: true });
  await run('git', ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, repositoryPath]);
  return repositoryPath;
}

/**
 * Serves one smart-HTTP request through `git http-backend` (the CGI program shipped with git),
 * so clones, fetches and pushes against the fake are real git transfers. The request body is
 * piped in as it arrives; the CGI header block is turned into the HTTP status and headers.
 */
export function serveWithHttpBackend(options: {
  request: IncomingMessage;
  response: ServerResponse;
  projectRoot: string;
  /** Path below the project root, e.g. `/octo/widgets.git/info/refs`. */
  pathInfo: string;
  query: string;
  remoteUser: string;
}): Promise<number> {
  const { request, response } = options;
  return new Promise((resolve, reject) => {
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: options.pathInfo,
        QUERY_STRING: options.query,
        REQUEST_METHOD: request.method ?? 'GET',
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        ...(request.headers['content-length'] ? { CONTENT_LENGTH: request.headers['content-length'] } : {}),
        ...(request.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: String(request.headers['content-encoding']) }
          : {}),
        ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: String(request.headers['git-protocol']) } : {}),
        // http-backend allows pushes only for an authenticated user.
        REMOTE_USER: options.remoteUser,
        REMOTE_ADDR: '127.0.0.1',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: options.projectRoot,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    request.pipe(backend.stdin);
    backend.stdin.on('error', () => {});
    let headerBuffer = Buffer.alloc(0);
    let headersDone = false;
    let status = 200;
    let errorOutput = '';
    backend.stderr.on('data', (chunk: Buffer) => {
      errorOutput += chunk.toString();
    });
    backend.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk);
        return;
      }
      headerBuffer = Buffer.concat([headerBuffer, chunk]);
      const end = headerBuffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      const headers: Record<string, string> = {};
      for (const line of headerBuffer.subarray(0, end).toString('utf8').split('\r\n')) {
        const separator = line.indexOf(':');
        if (separator === -1) continue;
        const name = line.slice(0, separator).trim();
        const value = line.slice(separator + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      response.writeHead(status, headers);
      response.write(headerBuffer.subarray(end + 4));
    });
    backend.on('error', reject);
    backend.on('close', (code) => {
      if (!headersDone) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`git http-backend failed (${code}): ${errorOutput}`);
        resolve(500);
        return;
      }
      response.end();
      resolve(status);
    });
  });
}
