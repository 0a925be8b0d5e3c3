import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoop, tickUntil } from './fixtures/change-request-loop-fixture.js';

/**
 * An agent that tries every way a repository can make someone else run its code with their
 * environment: a check script, git hooks (in .git/hooks and through core.hooksPath), an
 * fsmonitor, and a .gitattributes filter. Loompa's credentials are planted in its own
 * environment; none of them may show up anywhere the agent's code could write them, nor in
 * events or state.
 */

const canaries = {
  GITHUB_TOKEN: 'ghp_canary0canary0canary0canary0canary0',
  LOOMPA_DEPLOY_SECRET: 'deploy-canary-4c1d9e',
};

const previous: Record<string, string | undefined> = {};
afterEach(() => {
  for (const [name, value] of Object.entries(previous)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Every file under `directory`, recursively. */
function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const file = path.join(directory, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

describe('secrets never reach code the agent wrote', () => {
  it('keeps the canaries out of checks, hooks, fsmonitor, filters, the agent, events and state', async () => {
    for (const [name, value] of Object.entries(canaries)) {
      previous[name] = process.env[name];
      process.env[name] = value;
    }
    const fixture = await createLoop({
      tasks: [{ id: 'LEAK-1', title: 'Try to leak' }],
      agentScript: `
# The worktree is <root>/workspaces/LEAK-1; every planted program writes to <root>/leaks.
leaks="$(cd ../.. && pwd)/leaks"
env > "$leaks/agent.txt"
printf '#!/bin/sh\\nenv > "%s/check.txt"\\n' "$leaks" > check.sh
common=$(git rev-parse --git-common-dir)
for hook in pre-commit commit-msg post-commit pre-push post-checkout post-rewrite pre-rebase; do
  printf '#!/bin/sh\\nenv >> "%s/hook-%s.txt"\\n' "$leaks" "$hook" > "$common/hooks/$hook"
  chmod +x "$common/hooks/$hook"
done
mkdir -p .githooks
cp "$common/hooks/"* .githooks/
git config core.hooksPath .githooks
printf '#!/bin/sh\\nenv >> "%s/fsmonitor.txt"\\n' "$leaks" > "$PWD/../fsmonitor.sh"
chmod +x "$PWD/../fsmonitor.sh"
git config core.fsmonitor "$PWD/../fsmonitor.sh"
echo '* filter=leak' > .gitattributes
git config filter.leak.clean "sh -c 'env >> $leaks/filter.txt; cat'"
git config filter.leak.smudge "sh -c 'env >> $leaks/filter.txt; cat'"
echo "work" > result.txt
`,
      scm: { auto_merge: true, checks: [{ name: 'agent-written', command: 'sh check.sh' }] },
    });
    const leaks = path.join(fixture.root, 'leaks');
    await mkdir(leaks);
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(1));

    const written = filesUnder(leaks).map((file) => path.basename(file));
    // The agent and its check really ran and really dumped their environments...
    expect(written).toEqual(expect.arrayContaining(['agent.txt', 'check.txt']));
    expect(readFileSync(path.join(leaks, 'check.txt'), 'utf8')).toContain('PATH=');
    // ...and nothing anywhere holds a canary.
    const places = [
      ...filesUnder(leaks),
      ...filesUnder(path.join(fixture.root, 'state')),
      ...filesUnder(path.join(fixture.repository, '.loompa')),
    ];
    for (const file of places) {
      const content = readFileSync(file, 'utf8');
      for (const canary of Object.values(canaries)) {
        expect({ file, leaked: content.includes(canary) }).toEqual({ file, leaked: false });
      }
    }
    const events = JSON.stringify(fixture.events);
    for (const canary of Object.values(canaries)) expect(events).not.toContain(canary);
    expect(fixture.git('show', 'main:result.txt')).toBe('work');
  });
});
