import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Git smart HTTP for the fake GitLab: requests under `/<group>/<project>.git/` are handed to
 * `git http-backend` (a CGI program shipped with git), so clones, fetches and pushes are
 * served by git itself. The fake decides only who may talk to it.
 */

/** The token a git request carries: Basic auth (any user, token as password) or PRIVATE-TOKEN. */
export function tokenOfGitRequest(request: IncomingMessage): string | null {
  const privateToken = request.headers['private-token'];
  if (typeof privateToken === 'string') return privateToken;
  const authorization = request.headers.authorization;
  if (!authorization) return null;
  const [scheme, value] = authorization.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value) return value;
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return separator === -1 ? null : decoded.slice(separator + 1);
}

/**
 * Runs `git http-backend` for one request. `projectRoot` holds the bare repositories;
 * `pathInfo` is the request path below it (e.g. `/group/project.git/info/refs`).
 */
export function serveGitRequest(
  request: IncomingMessage,
  response: ServerResponse,
  options: {
    projectRoot: string;
    pathInfo: string;
    query: string;
    remoteUser: string;
    /** Runs after git finished and before the response ends, so the client sees its effects at once. */
    beforeEnd?: () => Promise<void>;
  },
): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: options.pathInfo,
        QUERY_STRING: options.query,
        REQUEST_METHOD: request.method ?? 'GET',
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        REMOTE_USER: options.remoteUser,
        REMOTE_ADDR: '127.0.0.1',
        GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
        ...(request.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: String(request.headers['content-encoding']) }
          : {}),
        ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: String(request.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    request.pipe(child.stdin);
    let headerBuffer = Buffer.alloc(0);
    let headersSent = false;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        response.write(chunk);
        return;
      }
      headerBuffer = Buffer.concat([headerBuffer, chunk]);
      const crlf = headerBuffer.indexOf('\r\n\r\n');
      const lf = headerBuffer.indexOf('\n\n');
      const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf : lf;
      if (end === -1) return;
      const separatorLength = end === crlf ? 4 : 2;
      const headerText = headerBuffer.subarray(0, end).toString('utf8');
      let status = 200;
      for (const line of headerText.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon === -1) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else response.setHeader(name, value);
      }
      response.writeHead(status);
      headersSent = true;
      response.write(headerBuffer.subarray(end + separatorLength));
    });
    child.on('close', (code) => {
      if (!headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.write(`git http-backend exited with ${code}: ${stderr}`);
      }
      void (options.beforeEnd?.() ?? Promise.resolve()).finally(() => {
        response.end();
        resolve();
      });
    });
  });
}
