import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AgentProcessOptions, runAgentProcess } from './run-agent-process.js';

/** A Node.js script as the agent: real processes, no CLI needed. */
function nodeScript(
  script: string,
  options: Partial<AgentProcessOptions> = {},
): AgentProcessOptions & { lines: string[]; errorLines: string[]; output: Record<string, string> } {
  const lines: string[] = [];
  const errorLines: string[] = [];
  const output: Record<string, string> = { stdout: '', stderr: '' };
  return {
    executable: process.execPath,
    args: ['-e', script],
    cwd: process.cwd(),
    env: {},
    onLine: (line) => lines.push(line),
    onErrorLine: (line) => errorLines.push(line),
    onOutput: (text, stream) => {
      output[stream] += text;
    },
    lines,
    errorLines,
    output,
    ...options,
  };
}

/** Alive and not a zombie waiting for a parent that may never reap it. */
function processRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Signals are delivered asynchronously; waits (bounded) for the process to be gone. */
async function eventuallyGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100 && processRunning(pid); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !processRunning(pid);
}

/** Starts a process in a new session (out of reach of a group kill) and prints its pid. */
const escapingChild = `
  const { spawn } = require('node:child_process');
  const escaped = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  escaped.unref();
  console.log('escaped ' + escaped.pid);
`;

describe('runAgentProcess: output', () => {
  it('delivers whole lines across chunk and character boundaries and skips blank lines', async () => {
    const bytes = Buffer.from('first héllo\n\n   \nsecond');
    // 'first h' is 7 bytes; the 8th is half of the two-byte 'é'.
    const script = `
      const bytes = Buffer.from(${JSON.stringify([...bytes])});
      process.stdout.write(bytes.subarray(0, 8));
      setTimeout(() => process.stdout.write(bytes.subarray(8)), 50);
    `;
    const options = nodeScript(script);
    const outcome = await runAgentProcess(options);
    expect(outcome).toEqual({ stop: 'exited', exitCode: 0, signal: null, stderrTail: '', startError: null });
    expect(options.lines).toEqual(['first héllo', 'second']);
    expect(options.output.stdout).toBe('first héllo\n\n   \nsecond');
  });

  it('reports standard error as lines and as a trimmed tail', async () => {
    const options = nodeScript(`console.error('warning: one'); console.error('fatal: two'); process.exit(3)`);
    const outcome = await runAgentProcess(options);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stderrTail).toBe('warning: one\nfatal: two');
    expect(options.errorLines).toEqual(['warning: one', 'fatal: two']);
    expect(options.output.stderr).toBe('warning: one\nfatal: two\n');
    expect(options.lines).toEqual([]);
  });

  it('passes the input on standard input and only the given environment plus the run marker', async () => {
    const script = `
      let input = '';
      process.stdin.on('data', (chunk) => (input += chunk));
      process.stdin.on('end', () => console.log(JSON.stringify({ input, keys: Object.keys(process.env).sort() })));
    `;
    const options = nodeScript(script, { env: { ONLY_THIS: '1' }, input: 'the prompt' });
    await runAgentProcess(options);
    expect(JSON.parse(options.lines[0]!)).toEqual({
      input: 'the prompt',
      keys: ['LOOMPA_AGENT_RUN_ID', 'ONLY_THIS'],
    });
  });

  it('gives the process an empty standard input when there is no input', async () => {
    const options = nodeScript(`
      let input = '';
      process.stdin.on('data', (chunk) => (input += chunk));
      process.stdin.on('end', () => console.log('read ' + input.length));
    `);
    await runAgentProcess(options);
    expect(options.lines).toEqual(['read 0']);
  });
});

describe('runAgentProcess: stopping', () => {
  it('stops the process when the caller asks from a line', async () => {
    const options = nodeScript(`console.log('enough'); setInterval(() => {}, 1000)`, {
      onLine: (_line, stop) => stop(),
    });
    const outcome = await runAgentProcess(options);
    expect(outcome.stop).toBe('stopped');
    expect(outcome.signal).toBe('SIGTERM');
  });

  it('stops a process that stays silent past the idle timeout', async () => {
    const options = nodeScript(`console.log('started'); setInterval(() => {}, 1000)`, { idleTimeoutMs: 300 });
    const outcome = await runAgentProcess(options);
    expect(outcome.stop).toBe('idle-timeout');
    expect(options.lines).toEqual(['started']);
  });

  it('stops a process that keeps talking past the run timeout', async () => {
    const options = nodeScript(`setInterval(() => console.log('tick'), 20)`, {
      idleTimeoutMs: 60_000,
      runTimeoutMs: 400,
    });
    const outcome = await runAgentProcess(options);
    expect(outcome.stop).toBe('run-timeout');
    expect(options.lines.length).toBeGreaterThan(0);
  });

  it('cancels through the abort signal and kills a child that left the process group', async () => {
    const controller = new AbortController();
    let escapedPid = 0;
    const options = nodeScript(`${escapingChild}; setInterval(() => {}, 1000)`, {
      abortSignal: controller.signal,
      onLine: (line) => {
        escapedPid = Number(line.split(' ')[1]);
        controller.abort();
      },
    });
    const outcome = await runAgentProcess(options);
    expect(outcome.stop).toBe('cancelled');
    expect(escapedPid).toBeGreaterThan(0);
    expect(await eventuallyGone(escapedPid)).toBe(true);
  });

  it('kills what the process left running once it exits on its own', async () => {
    let escapedPid = 0;
    const options = nodeScript(escapingChild, {
      onLine: (line) => {
        escapedPid = Number(line.split(' ')[1]);
      },
    });
    const outcome = await runAgentProcess(options);
    expect(outcome).toMatchObject({ stop: 'exited', exitCode: 0 });
    expect(escapedPid).toBeGreaterThan(0);
    expect(await eventuallyGone(escapedPid)).toBe(true);
  });

  it('does not start a process when the signal is already aborted', async () => {
    const options = nodeScript(`console.log('ran')`, { abortSignal: AbortSignal.abort() });
    const outcome = await runAgentProcess(options);
    expect(outcome.stop).toBe('cancelled');
    expect(outcome.exitCode).toBeNull();
    expect(options.lines).toEqual([]);
  });

  it('reports a process that could not be started', async () => {
    const outcome = await runAgentProcess({
      executable: '/nonexistent/agent-cli',
      args: [],
      cwd: process.cwd(),
      env: {},
      onLine: () => {},
    });
    expect(outcome.stop).toBe('exited');
    expect(outcome.exitCode).toBeNull();
    expect(outcome.startError).toContain('ENOENT');
  });
});
