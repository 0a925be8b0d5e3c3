import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../free-port.js';

/** A `redis-server` this process started on 127.0.0.1, for one test file. */
export interface TestRedisServer {
  url: string;
  port: number;
  /** Kills the server hard (a crash); `stop` is still safe to call after it. */
  kill(): void;
  stop(): Promise<void>;
}

function hasRedisServer(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs Debian's `redis-server` when it is missing (we run as root; CI starts from a bare
 * machine). Several test processes may ask at once: `flock` lets one install and the others
 * wait, then find it there.
 */
export function ensureRedisServerInstalled(): void {
  if (hasRedisServer()) return;
  const script =
    'command -v redis-server >/dev/null 2>&1 || ' +
    '(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null)';
  execFileSync('flock', [path.join(os.tmpdir(), 'loompa-redis-install.lock'), 'sh', '-c', script], {
    stdio: 'inherit',
    timeout: 600_000,
  });
  if (!hasRedisServer()) throw new Error('redis-server is not installed and installing it failed');
}

/** Resolves once the server answers PING with PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/**
 * Starts a real `redis-server` on a free port of 127.0.0.1 with nothing persisted, in a
 * temporary folder, installing the Debian package first when it is missing.
 */
export async function startRedisServer(): Promise<TestRedisServer> {
  ensureRedisServerInstalled();
  const directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-redis-'));
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    let ready = false;
    while (!ready && child.exitCode === null && Date.now() < deadline) {
      ready = await answersPing(port);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (ready) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        kill: () => child.kill('SIGKILL'),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
          await rm(directory, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    await exited;
    // Another process may have taken the port between our check and the server's bind.
    if (tries >= 3) throw new Error(`redis-server did not start on 127.0.0.1:${port}`);
  }
}
