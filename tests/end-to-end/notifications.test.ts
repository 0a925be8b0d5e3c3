import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOrchestrator, type Orchestrator } from '@loompa/core';
import { notificationsPlugin } from '@loompa/notifications';
import { localScm } from '@loompa/scm-local';
import { createWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '@loompa/testkit';
import { markdownTracker } from '@loompa/tracker-markdown';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * Notifications end to end: a real orchestrator blocks markdown tasks (an agent that always
 * fails, one attempt allowed), and a real webhook receiver on 127.0.0.1 gets exactly one
 * message per blocked task and target, across a restart on the same store and across a
 * SIGKILL before delivery; a receiver that hangs never holds up the orchestrator.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'run-orchestrator.ts');
const waitOptions = { timeout: 60_000, interval: 50 };
const leakedToken = 'sk-notify-leak-0123456789abcdefghij';
const signingKey = 'e2e-signing-key-0123456789';

const hostileTitles = [
  'Fix "quotes"} <!channel> & <@U024BE7LH> now',
  'Post <https://evil.example|here> with `ticks` *bold* _it_ ~del~ \\ backslash',
  'A plain title',
];

let root: string | null = null;
let receiver: WebhookReceiver | null = null;
const orchestrators: Orchestrator[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const orchestrator of orchestrators.splice(0)) await orchestrator.stop().catch(() => {});
  await receiver?.close();
  receiver = null;
  if (root) await rm(root, { recursive: true, force: true });
  root = null;
});

/** A repository with three tasks that will all be blocked, and a workflow notifying two targets. */
async function prepare(
  options: {
    notifications?: Record<string, unknown>;
    agent?: Record<string, unknown>;
    agentScript?: string[];
  } = {},
): Promise<string> {
  root = await mkdtemp(path.join(os.tmpdir(), 'loompa-notify-'));
  receiver = await createWebhookReceiver();
  process.env.E2E_HOOK_URL = `${receiver.url}/hooks`;
  process.env.E2E_SLACK_URL = `${receiver.url}/slack`;
  process.env.E2E_HOOK_KEY = signingKey;
  const repository = path.join(root, 'repository');
  await mkdir(path.join(repository, '.loompa', 'tasks'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=P', '-c', 'user.email=p@example.com', ...args], {
      cwd: repository,
    });
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  for (const [index, title] of hostileTitles.entries()) {
    const id = `TASK-${index + 1}`;
    await writeFile(
      path.join(repository, '.loompa', 'tasks', `${id}.md`),
      `---\n${stringify({ id, title, status: 'todo' })}---\n\nDo it.\n`,
    );
  }
  const agentScript = path.join(root, 'agent.sh');
  const failing = ['echo "cannot, token $LEAK_TOKEN" >&2', 'exit 1'];
  await writeFile(
    agentScript,
    ['cat > /dev/null', ...(options.agentScript ?? []), ...failing, ''].join('\n'),
  );
  const workflowPath = path.join(root, 'WORKFLOW.md');
  await writeFile(
    workflowPath,
    `---\n${stringify({
      tracker: { kind: 'markdown' },
      repository: { path: repository },
      workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
      polling: { interval_ms: options.agent ? 200 : 3_600_000 },
      agent: { kind: 'command', max_attempts: 1, env: { LEAK_TOKEN: leakedToken }, ...options.agent },
      command: { command: `sh ${agentScript}` },
      scm: { kind: 'local', base_branch: 'main' },
      notifications: {
        targets: {
          hooks: { url_variable: 'E2E_HOOK_URL', secret_variable: 'E2E_HOOK_KEY' },
          team: { url_variable: 'E2E_SLACK_URL', format: 'slack', events: ['issue-blocked'] },
        },
        initial_backoff_ms: 100,
        ...options.notifications,
      },
    })}---\nWork on {{ issue.identifier }}\n`,
  );
  return workflowPath;
}

function startInProcess(workflowPath: string): Orchestrator {
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { markdown: markdownTracker },
    scms: { local: localScm },
    notifier: notificationsPlugin,
  });
  orchestrators.push(orchestrator);
  return orchestrator;
}

function blockedCount(orchestrator: Orchestrator): number {
  return orchestrator.snapshot().blocked.length;
}

const accepted = (target: 'hooks' | 'slack') =>
  receiver!.accepted().filter((request) => request.path === `/${target}`);

/** Every body is data: no registered secret, no URL, no key; JSON ones are signed. */
function expectCleanBodies(requests: ReceivedWebhook[]): void {
  for (const request of requests) {
    expect(request.body).not.toContain(leakedToken);
    expect(request.body).not.toContain(receiver!.url);
    expect(request.body).not.toContain(signingKey);
    if (request.path === '/hooks') {
      const signature = createHmac('sha256', signingKey).update(request.body).digest('hex');
      expect(request.headers['x-loompa-signature-256']).toBe(`sha256=${signature}`);
    }
  }
}

describe('notifications from a running orchestrator', () => {
  it('sends one message per blocked task and target, also after a restart on the same store', async () => {
    const workflowPath = await prepare();
    const first = startInProcess(workflowPath);
    await first.runOnce();
    expect(blockedCount(first)).toBe(3);
    await first.stop();
    await vi.waitFor(() => {
      expect(accepted('hooks')).toHaveLength(3);
      expect(accepted('slack')).toHaveLength(3);
    }, waitOptions);

    const second = startInProcess(workflowPath);
    await second.runOnce();
    expect(blockedCount(second)).toBe(3);
    // Stopping flushes: whatever the second instance would have sent has been sent by now.
    await second.stop();
    expect(accepted('hooks')).toHaveLength(3);
    expect(accepted('slack')).toHaveLength(3);
    expect(receiver!.received).toHaveLength(6);

    const bodies = accepted('hooks').map((request) => JSON.parse(request.body));
    expect(bodies.map((body) => body.event)).toEqual(['issue-blocked', 'issue-blocked', 'issue-blocked']);
    expect(bodies.map((body) => body.issue.title).sort()).toEqual([...hostileTitles].sort());
    expect(new Set(bodies.map((body) => body.key)).size).toBe(3);
    const slackTexts = accepted('slack').map((request) => JSON.parse(request.body).text as string);
    expect(slackTexts.join('\n')).toContain('&lt;!channel&gt; &amp; &lt;@U024BE7LH&gt;');
    for (const text of slackTexts) expect(text).not.toMatch(/<[!@#]|<https?:/);
    expectCleanBodies(receiver!.received);
    expect(bodies.some((body) => String(body.details.reason).includes('[REDACTED]'))).toBe(true);
  }, 120_000);

  it('never lets a receiver that hangs hold up dispatch', async () => {
    // One agent at a time; every agent after the first waits until the receiver holds the
    // first notification, so the later blocks happen while that delivery hangs.
    const firstRan = path.join(os.tmpdir(), `loompa-notify-first-${process.pid}-${Date.now()}`);
    const receiverHolds = `${firstRan}-held`;
    const workflowPath = await prepare({
      notifications: { timeout_ms: 120_000 },
      agent: { max_concurrent_agents: 1 },
      agentScript: [
        `if [ -f ${firstRan} ]; then`,
        `  while [ ! -f ${receiverHolds} ]; do sleep 0.05; done`,
        'else',
        `  touch ${firstRan}`,
        'fi',
      ],
    });
    receiver!.setFallback('hold');
    const orchestrator = startInProcess(workflowPath);
    await orchestrator.start();
    try {
      await vi.waitFor(() => expect(receiver!.received.length).toBeGreaterThanOrEqual(1), waitOptions);
      await writeFile(receiverHolds, '');
      await vi.waitFor(() => expect(blockedCount(orchestrator)).toBe(3), waitOptions);
      // All three blocked, and not one message answered yet.
      expect(receiver!.accepted()).toHaveLength(0);
      receiver!.setFallback({ status: 200 });
      receiver!.releaseHeld();
      await vi.waitFor(() => {
        expect(accepted('hooks')).toHaveLength(3);
        expect(accepted('slack')).toHaveLength(3);
      }, waitOptions);
      await orchestrator.stop();
      expect(receiver!.received).toHaveLength(6);
    } finally {
      await rm(firstRan, { force: true });
      await rm(receiverHolds, { force: true });
    }
  }, 120_000);

  it('delivers after a SIGKILL what the killed process had not, exactly once per message', async () => {
    const workflowPath = await prepare({ notifications: { timeout_ms: 120_000 } });
    receiver!.setFallback('hold');
    const start = () => {
      const child = spawn(
        process.execPath,
        ['--conditions=@loompa/source', '--import', 'tsx', runner, workflowPath],
        { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      const events: string[] = [];
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.includes('"issue-blocked"')) events.push(line);
      });
      child.stderr!.resume();
      return { child, events };
    };
    const killed = start();
    await vi.waitFor(() => {
      expect(killed.events).toHaveLength(3);
      expect(receiver!.received.length).toBeGreaterThanOrEqual(1);
    }, waitOptions);
    const exited = new Promise((resolve) => killed.child.once('exit', resolve));
    killed.child.kill('SIGKILL');
    await exited;
    expect(receiver!.accepted()).toHaveLength(0);

    // The killed process's held request is left unanswered: its client is gone.
    receiver!.setFallback({ status: 200 });
    const restarted = start();
    await vi.waitFor(() => {
      expect(accepted('hooks')).toHaveLength(3);
      expect(accepted('slack')).toHaveLength(3);
    }, waitOptions);
    const stopped = new Promise((resolve) => restarted.child.once('exit', resolve));
    restarted.child.kill('SIGTERM');
    await stopped;
    // The restarted process blocked nothing again, and accepted each message exactly once.
    expect(restarted.events).toHaveLength(0);
    const acceptedIds = receiver!.accepted().map((request) => request.headers['x-loompa-delivery']);
    expect(acceptedIds).toHaveLength(6);
    expect(new Set(acceptedIds).size).toBe(6);
    expectCleanBodies(receiver!.received);
  }, 120_000);
});
