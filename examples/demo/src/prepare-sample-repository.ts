import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { DemoTask } from './demo-tasks.js';

/** The sample project shipped with the demo; never modified, only copied. */
export const sampleRepositoryPath = fileURLToPath(new URL('../sample-repository', import.meta.url));

/** The Claude Code CLI installed with the demo. */
export const claudeBinaryPath = fileURLToPath(new URL('../node_modules/.bin/claude', import.meta.url));

/** How the demo hands some tasks to Codex. */
export interface DemoCodexSetup {
  /** Tasks whose title or description holds one of these words run on Codex (a `kind: codex` profile). */
  keywords: string[];
  /** The scripted Responses server; null runs Codex's own OpenAI provider (live). */
  baseUrl: string | null;
  /** The variable holding the key for `baseUrl`. */
  keyVariable: string;
}

export interface DemoSandbox {
  root: string;
  repository: string;
  workflowPath: string;
}

/**
 * A throwaway copy of the sample repository as a git repository on `main`, with the demo's
 * markdown tasks and a WORKFLOW.md: markdown tracker, scm-local running the sample's tests
 * as its check with a Claude reviewer and auto-merge, Claude Code as the agent.
 */
export async function prepareSampleRepository(
  tasks: readonly DemoTask[],
  codex: DemoCodexSetup | null = null,
): Promise<DemoSandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-demo-'));
  const repository = path.join(root, 'sample-calculator');
  await cp(sampleRepositoryPath, repository, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Demo Person', '-c', 'user.email=person@demo.invalid', ...args], {
      cwd: repository,
      stdio: 'pipe',
    });

  const frontMatter = {
    tracker: {
      kind: 'markdown',
      active_states: ['todo', 'in progress'],
      terminal_states: ['done', 'cancelled'],
    },
    repository: { path: '.' },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 1_000 },
    agent: {
      kind: 'claude',
      max_concurrent_agents: 3,
      max_turns: 10,
      max_attempts: 2,
      ...(codex
        ? { profiles: [{ name: 'codex', kind: 'codex', model: 'gpt-5.5', keywords: codex.keywords }] }
        : {}),
    },
    ...(codex
      ? {
          codex: {
            ...(codex.baseUrl
              ? {
                  provider: { id: 'scripted', base_url: codex.baseUrl, env_key: codex.keyVariable },
                  max_retries: 0,
                }
              : {}),
            // Codex reports no cost; illustrative per-million prices let the table show one.
            prices: { 'gpt-5.5': { input: 1.25, output: 10, cache_read: 0.125 } },
          },
        }
      : {}),
    // acceptEdits lets the agent edit files in its worktree; staging a resolved conflict is allowed explicitly.
    claude: {
      binary_path: claudeBinaryPath,
      permission_mode: 'acceptEdits',
      allowed_tools: ['Bash(git add:*)'],
    },
    scm: {
      kind: 'local',
      base_branch: 'main',
      auto_merge: true,
      merge_method: 'rebase',
      checks: [{ name: 'tests', command: 'node --test' }],
      reviewer: { agent: 'claude', name: 'reviewer' },
    },
    reactions: { ci: { max_attempts: 2 }, conflict: { max_attempts: 2 } },
  };
  const workflowPath = path.join(repository, 'WORKFLOW.md');
  await writeFile(
    workflowPath,
    `---\n${stringify(frontMatter)}---\nYou are working on {{ issue.identifier }}: {{ issue.title }}.\n\n{{ issue.description }}\n{% if feedback %}\n{{ feedback.text }}\n{% endif %}\nKeep the change focused and tested. Do not commit: Loompa publishes your work.\n`,
  );
  await writeFile(path.join(repository, '.gitignore'), 'node_modules/\n.loompa/\n');
  git('init', '--quiet', '--initial-branch=main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'sample-calculator: add and shout');

  const tasksDirectory = path.join(repository, '.loompa', 'tasks');
  await mkdir(tasksDirectory, { recursive: true });
  for (const [index, task] of tasks.entries()) {
    const created = new Date(Date.UTC(2026, 0, 1, 9, index)).toISOString();
    await writeFile(
      path.join(tasksDirectory, `${task.id}.md`),
      `---\nid: ${task.id}\ntitle: ${task.title}\nstatus: todo\npriority: 2\ncreated: ${created}\n---\n\n${task.description}\n`,
    );
  }
  return { root, repository, workflowPath };
}
