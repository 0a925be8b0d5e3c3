import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type ResultPromise } from 'execa';
import { stringify } from 'yaml';

/** The real `loompa` executable, run as a subprocess exactly as `pnpm loompa` runs it. */
export const loompaBin = fileURLToPath(new URL('../bin/loompa.js', import.meta.url));

/** Starts `loompa …` in `cwd`; resolves (never rejects) with the exit code and output. */
export function startLoompa(
  args: string[],
  options: Options & { cwd: string },
): ResultPromise<{ reject: false }> {
  return execa(process.execPath, [loompaBin, ...args], {
    ...options,
    reject: false,
    env: { ...process.env, LOOMPA_ACTOR: 'tester', ...options.env },
  }) as ResultPromise<{ reject: false }>;
}

export interface Sandbox {
  root: string;
  repository: string;
  workflowPath: string;
  git(...args: string[]): string;
  cleanup(): Promise<void>;
}

const sandboxes: Sandbox[] = [];

/** Removes every sandbox made by the current test file. */
export async function removeSandboxes(): Promise<void> {
  for (const sandbox of sandboxes.splice(0)) await sandbox.cleanup();
}

/**
 * A temporary git repository with a WORKFLOW.md (markdown tracker, `command` agent running
 * `agentScript` with the prompt on stdin) and the given markdown tasks.
 */
export async function createSandbox(
  options: {
    tasks?: Array<{ id: string; title: string }>;
    /** Shell lines run with the prompt in `$prompt`; a function gets the sandbox root. */
    agentScript?: string | ((root: string) => string);
    frontMatter?: Record<string, unknown>;
  } = {},
): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-cli-'));
  const repository = path.join(root, 'repository');
  await mkdir(repository);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', ...args], {
      cwd: repository,
      encoding: 'utf8',
    }).trim();
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, 'README.md'), '# sample\n');
  await writeFile(path.join(repository, '.gitignore'), '.loompa/state/\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  const tasksDirectory = path.join(repository, '.loompa', 'tasks');
  await mkdir(tasksDirectory, { recursive: true });
  for (const task of options.tasks ?? []) {
    await writeFile(
      path.join(tasksDirectory, `${task.id}.md`),
      `---\nid: ${task.id}\ntitle: ${task.title}\nstatus: todo\ncreated: 2026-01-01T00:00:00.000Z\n---\n\n${task.title}.\n`,
    );
  }
  const agentScript = path.join(root, 'agent.sh');
  const script = typeof options.agentScript === 'function' ? options.agentScript(root) : options.agentScript;
  await writeFile(agentScript, `prompt=$(cat)\n${script ?? 'echo done > result.txt'}\n`);
  const frontMatter = {
    tracker: { kind: 'markdown' },
    workspace: { root: path.join(root, 'workspaces') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'command', continuation_delay_ms: 3_600_000 },
    command: { command: `sh ${agentScript}` },
    ...options.frontMatter,
  };
  const workflowPath = path.join(repository, 'WORKFLOW.md');
  await writeFile(
    workflowPath,
    `---\n${stringify(frontMatter)}---\nWork on {{ issue.identifier }}: {{ issue.title }}\n`,
  );
  const sandbox: Sandbox = {
    root,
    repository,
    workflowPath,
    git,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  sandboxes.push(sandbox);
  return sandbox;
}

/** Parses JSON lines, failing with the line that is not JSON. */
export function parseJsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

export { isProcessAlive as isProcessRunning } from '@loompa/core';

/** Resolves once the text a stream has produced so far satisfies `predicate`. */
export function waitForOutput(
  stream: NodeJS.ReadableStream,
  predicate: (text: string) => boolean,
  timeoutMs = 60_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out waiting for output; got:\n${text}`));
    }, timeoutMs);
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (predicate(text)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(text);
      }
    };
    stream.on('data', onData);
  });
}
