import { registerSecret } from '@loompa/core';

/**
 * Where a Redis is, for logs and errors, without its credentials: the password is registered
 * as a secret the moment it is seen, so it is redacted wherever it might still show up.
 */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) registerSecret(decodeURIComponent(parsed.password));
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(an unreadable Redis URL)';
  }
}
