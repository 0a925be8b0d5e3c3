import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createOrchestrator,
  LoompaError,
  loadWorkflow,
  type OrchestratorEvent,
  WorkflowError,
} from '@loompa/core';
import { testTracker } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonFileTracker, type IssueFile, jsonFileTracker } from '../src/index.js';

/** Writes straight to the file, as a person or another program would (not through the tracker). */
async function appendToFile(filePath: string, issue: Record<string, unknown>): Promise<string> {
  const file: IssueFile = existsSync(filePath)
    ? (JSON.parse(await readFile(filePath, 'utf8')) as IssueFile)
    : { issues: [] };
  const id = String(file.issues.length + 1);
  file.issues.push({ id, ...issue } as IssueFile['issues'][number]);
  await writeFile(filePath, JSON.stringify(file));
  return id;
}

testTracker({
  name: 'json-file (example plugin)',
  async setup() {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-json-tracker-'));
    const filePath = path.join(directory, 'issues.json');
    const tracker = createJsonFileTracker({ filePath });
    return {
      tracker,
      async seedIssue(seed) {
        const id = await appendToFile(filePath, {
          title: seed.title,
          state: seed.state,
          labels: seed.labels ?? [],
          priority: seed.priority ?? null,
          description: seed.description ?? null,
        });
        return (await tracker.getIssues({ ids: [id] }))[0]!;
      },
      countReads: () => tracker.file.reads,
      async readComments(issueId) {
        const file = JSON.parse(await readFile(filePath, 'utf8')) as IssueFile;
        return (
          file.issues.find((issue) => issue.id === issueId)?.comments.map((comment) => comment.body) ?? []
        );
      },
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
  },
});

const temporaryDirectories: string[] = [];
afterEach(async () => {
  for (const directory of temporaryDirectories.splice(0))
    await rm(directory, { recursive: true, force: true });
});

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-json-plugin-'));
  temporaryDirectories.push(directory);
  return directory;
}

describe('the json-file tracker as a plugin', () => {
  it('says which field of a hand-edited file is wrong', async () => {
    const directory = await temporaryDirectory();
    const filePath = path.join(directory, 'issues.json');
    await writeFile(
      filePath,
      JSON.stringify({
        issues: [
          { id: '1', title: 'Fine' },
          { id: '2', priority: 9 },
        ],
      }),
    );
    const failure = await createJsonFileTracker({ filePath })
      .listIssues({ states: ['todo'] })
      .catch((error: unknown) => error);
    expect(LoompaError.hasCode(failure, 'tracker_failed')).toBe(true);
    expect((failure as Error).message).toMatch(new RegExp(`^${filePath}: issues\\.1\\.title: `));
  });

  it('has its settings validated by the workflow loader, with YAML path and line', async () => {
    const directory = await temporaryDirectory();
    const workflowPath = path.join(directory, 'WORKFLOW.md');
    await writeFile(workflowPath, '---\ntracker:\n  kind: json-file\n  identifier_prefix: 9lives\n---\n');
    const failure = await loadWorkflow(workflowPath, {
      plugins: { trackers: { 'json-file': jsonFileTracker } },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowError);
    expect((failure as WorkflowError).problems).toEqual([
      expect.objectContaining({ yamlPath: 'tracker.identifier_prefix', line: 4 }),
    ]);
  });

  it('feeds the orchestrator: an issue from the file is dispatched to an agent in its own worktree', async () => {
    const directory = await temporaryDirectory();
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', ...args], {
        cwd: directory,
      });
    git('init', '--quiet', '--initial-branch=main');
    await writeFile(path.join(directory, '.gitignore'), '.loompa/\nissues.json\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'initial');
    await appendToFile(path.join(directory, 'issues.json'), { title: 'Say hello', state: 'todo' });
    await writeFile(
      path.join(directory, 'WORKFLOW.md'),
      [
        '---',
        'tracker: { kind: json-file, identifier_prefix: HELLO }',
        `workspace: { root: ${JSON.stringify(path.join(directory, 'workspaces'))} }`,
        'agent: { kind: command, continuation_delay_ms: 3600000 }',
        'command: { command: "cat > prompt.txt" }',
        '---',
        'Please work on {{ issue.identifier }}: {{ issue.title }}',
        '',
      ].join('\n'),
    );
    const orchestrator = createOrchestrator({
      workflowPath: path.join(directory, 'WORKFLOW.md'),
      trackers: { 'json-file': jsonFileTracker },
    });
    const events: OrchestratorEvent[] = [];
    orchestrator.events.on('event', (event) => events.push(event));
    await orchestrator.runOnce();
    await orchestrator.stop();
    const finished = events.find((event) => event.type === 'agent-run-finished');
    expect(finished?.payload).toMatchObject({ issueIdentifier: 'HELLO-1', result: { status: 'completed' } });
    const prompt = await readFile(path.join(directory, 'workspaces', 'HELLO-1', 'prompt.txt'), 'utf8');
    expect(prompt).toContain('Please work on HELLO-1: Say hello');
  });
});
