import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockTracker } from '@loompa/testkit';
import { stringify } from 'yaml';
import {
  createOrchestrator,
  type Issue,
  type OrchestratorEvent,
  type OrchestratorEventMap,
  type OrchestratorOptions,
} from '../../src/index.js';

/** A git repository with one commit on `main`, made with an explicit identity. */
export function createGitRepository(directory: string): void {
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: directory,
      stdio: 'pipe',
    });
  git('init', '--quiet', '--initial-branch=main');
  execFileSync('sh', ['-c', 'echo "# sample" > README.md'], { cwd: directory });
  git('add', 'README.md');
  git('commit', '--quiet', '-m', 'initial');
}

export interface OrchestratorFixtureOptions {
  issues: Issue[];
  /** Shell command the `command` agent runs (prompt on stdin, cwd = worktree). */
  agentCommand: string;
  /** Front matter merged over the fixture's defaults (sections merged one level deep). */
  frontMatter?: Record<string, Record<string, unknown>>;
  body?: string;
  orchestrator?: Partial<OrchestratorOptions>;
  watchable?: boolean;
}

export type Fixture = Awaited<ReturnType<typeof createOrchestratorFixture>>;

/** A temporary repository, WORKFLOW.md, mock tracker and orchestrator, with every event recorded. */
export async function createOrchestratorFixture(options: OrchestratorFixtureOptions) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-orchestrator-'));
  const repository = path.join(root, 'repository');
  execFileSync('mkdir', ['-p', repository]);
  createGitRepository(repository);
  const defaults: Record<string, Record<string, unknown>> = {
    tracker: { kind: 'mock' },
    repository: { path: repository },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'command', continuation_delay_ms: 3_600_000 },
    command: { command: options.agentCommand },
  };
  const frontMatter = { ...defaults };
  for (const [section, values] of Object.entries(options.frontMatter ?? {})) {
    frontMatter[section] = { ...frontMatter[section], ...values };
  }
  const workflowPath = path.join(root, 'WORKFLOW.md');
  const body = options.body ?? 'Work on {{ issue.identifier }}: {{ issue.title }} (attempt {{ attempt }})';
  await writeFile(workflowPath, `---\n${stringify(frontMatter)}---\n${body}\n`);
  const tracker = new MockTracker({ issues: options.issues, watchable: options.watchable ?? false });
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { mock: tracker },
    ...options.orchestrator,
  });
  const events: OrchestratorEvent[] = [];
  orchestrator.events.on('event', (event) => events.push(event));
  const eventsOf = <Name extends OrchestratorEvent['type']>(type: Name): Array<OrchestratorEventMap[Name]> =>
    events.filter((event) => event.type === type).map((event) => event.payload as OrchestratorEventMap[Name]);
  return {
    root,
    repository,
    workflowPath,
    workspaceRoot: path.join(root, 'workspaces'),
    stateDirectory: path.join(root, 'state'),
    tracker,
    orchestrator,
    events,
    eventsOf,
    async cleanup() {
      await orchestrator.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
