import { execFile } from 'node:child_process';
import { findExecutable } from '@loompa/core';

/** Where Debian's chromium is, or why there is none (the browser tests are then skipped, saying so). */
export type ChromiumLookup =
  | { executablePath: string; reason: null }
  | { executablePath: null; reason: string };

/** Held while installing, so test files (or CI runs) in parallel install once, one after another. */
const installLockPath = '/tmp/loompa-chromium-install.lock';

function run(command: string, args: readonly string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) =>
      resolve(error ? `${error.message}\n${stderr}`.trim().slice(-2_000) : null),
    );
  });
}

/**
 * Finds Debian's `chromium`, installing it with apt-get when it is missing and this process
 * may (root, apt-get present). `LOOMPA_CHROMIUM` points at another browser binary.
 */
export async function ensureChromium(): Promise<ChromiumLookup> {
  const configured = process.env.LOOMPA_CHROMIUM;
  if (configured) return { executablePath: configured, reason: null };
  const found = findExecutable('chromium', { searchPath: process.env.PATH ?? '' });
  if (found) return { executablePath: found, reason: null };
  if (process.getuid?.() !== 0) {
    return {
      executablePath: null,
      reason: 'chromium is not installed and this user cannot install it (not root)',
    };
  }
  const aptGet = findExecutable('apt-get', { searchPath: process.env.PATH ?? '' });
  const flock = findExecutable('flock', { searchPath: process.env.PATH ?? '' });
  if (!aptGet || !flock) {
    return {
      executablePath: null,
      reason: 'chromium is not installed and there is no apt-get (or flock) to install it',
    };
  }
  const problem = await run(
    flock,
    [
      installLockPath,
      'sh',
      '-c',
      'command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }',
    ],
    15 * 60_000,
  );
  const installed = findExecutable('chromium', { searchPath: process.env.PATH ?? '' });
  if (installed) return { executablePath: installed, reason: null };
  return {
    executablePath: null,
    reason: `installing chromium with apt-get failed: ${problem ?? 'no binary afterwards'}`,
  };
}
