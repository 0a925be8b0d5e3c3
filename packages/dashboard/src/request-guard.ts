import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isIP } from 'node:net';

export interface RequestGuardOptions {
  /** The bearer token; null when none is configured. */
  token: string | null;
  /** `always` asks for the token on loopback too (e.g. behind a reverse proxy on the same host). */
  requireToken: 'beyond-loopback' | 'always';
}

/** Why a request is refused: the HTTP status, a stable code and a sentence for the person. */
export interface Refusal {
  status: 401 | 403;
  code: string;
  message: string;
}

const loopbackHostNames = new Set(['localhost', '127.0.0.1', '::1']);

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

/** The host name of a Host header or an origin, without port and brackets; null when unreadable. */
function hostNameOf(hostHeader: string): string | null {
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

/** Compares without leaking, through timing, how much of the token was right (or its length). */
export function tokensMatch(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerTokenOf(request: http.IncomingMessage): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/**
 * Who may call the API. A request that reached a loopback address from a loopback address is
 * the local user's (unless `always`); any other needs the bearer token, and without a
 * configured token such requests are refused outright. A loopback request must also name a
 * loopback host, so a web page cannot reach the API through DNS rebinding.
 */
export function refusalOfAccess(request: http.IncomingMessage, options: RequestGuardOptions): Refusal | null {
  const local =
    isLoopbackAddress(request.socket.localAddress) && isLoopbackAddress(request.socket.remoteAddress);
  const needsToken = options.requireToken === 'always' || !local;
  if (!needsToken) {
    const host = hostNameOf(request.headers.host ?? '');
    if (host === null || !loopbackHostNames.has(host)) {
      return {
        status: 403,
        code: 'host_not_allowed',
        message: 'Over loopback the API answers only requests for localhost, 127.0.0.1 or [::1]',
      };
    }
    return null;
  }
  if (options.token === null) {
    return {
      status: 403,
      code: 'token_not_configured',
      message:
        'The API is reachable beyond loopback but has no token: set LOOMPA_API_TOKEN (or WORKFLOW.md’s server.api_token) and send it as a bearer token',
    };
  }
  const given = bearerTokenOf(request);
  if (given === null || !tokensMatch(given, options.token)) {
    return {
      status: 401,
      code: 'unauthorized',
      message: 'Send the API token as `Authorization: Bearer <token>`',
    };
  }
  return null;
}

/**
 * Writes come only from the dashboard's own origin or from clients that are not browsers:
 * a cross-site `Sec-Fetch-Site`, or an `Origin` whose host differs from the request's `Host`,
 * is refused, so another web page cannot drive the orchestrator with the user's access.
 */
export function refusalOfCrossOriginWrite(request: http.IncomingMessage): Refusal | null {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return {
      status: 403,
      code: 'cross_origin',
      message: `Writes from another site are refused (Sec-Fetch-Site: ${fetchSite})`,
    };
  }
  const origin = request.headers.origin;
  if (origin === undefined) return null;
  let originHost: string | null = null;
  try {
    originHost = origin === 'null' ? null : new URL(origin).host.toLowerCase();
  } catch {
    originHost = null;
  }
  if (originHost === null || originHost !== (request.headers.host ?? '').toLowerCase()) {
    return { status: 403, code: 'cross_origin', message: 'Writes from another origin are refused' };
  }
  return null;
}
