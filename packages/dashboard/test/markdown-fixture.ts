import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createOrchestrator, type Orchestrator, type OrchestratorEvent } from '@loompa/core';
import { localScm } from '@loompa/scm-local';
import { markdownTracker } from '@loompa/tracker-markdown';
import { stringify } from 'yaml';

export interface MarkdownFixture {
  root: string;
  repository: string;
  orchestrator: Orchestrator;
  events: OrchestratorEvent[];
  /** Writes (or rewrites) a markdown task; the title may be any text, it is written as YAML. */
  writeTask(id: string, title: string): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A real orchestrator on a temporary git repository: markdown tasks, the local SCM provider
 * and the `command` agent running `agentCommand` in each worktree.
 */
export async function createMarkdownFixture(options: {
  agentCommand: string;
  agent?: Record<string, unknown>;
  scm?: Record<string, unknown>;
  tasks?: Array<{ id: string; title: string }>;
}): Promise<MarkdownFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-dashboard-'));
  const repository = path.join(root, 'repository');
  await mkdir(path.join(repository, '.loompa', 'tasks'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', ...args], {
      cwd: repository,
    });
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
  await writeFile(path.join(repository, 'README.md'), '# sample\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  const writeTask = async (id: string, title: string) => {
    const frontMatter = stringify({ id, title, status: 'todo' });
    await writeFile(
      path.join(repository, '.loompa', 'tasks', `${id}.md`),
      `---\n${frontMatter}---\n\nDo it.\n`,
    );
  };
  for (const task of options.tasks ?? []) await writeTask(task.id, task.title);
  const workflow = {
    tracker: { kind: 'markdown' },
    scm: { kind: 'local', ...options.scm },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'command', continuation_delay_ms: 3_600_000, ...options.agent },
    command: { command: options.agentCommand },
  };
  const workflowPath = path.join(repository, 'WORKFLOW.md');
  await writeFile(workflowPath, `---\n${stringify(workflow)}---\nWork on {{ issue.identifier }}\n`);
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { markdown: markdownTracker },
    scms: { local: localScm },
  });
  const events: OrchestratorEvent[] = [];
  orchestrator.events.on('event', (event) => events.push(event));
  return {
    root,
    repository,
    orchestrator,
    events,
    writeTask,
    async cleanup() {
      await orchestrator.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
