import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createOrchestrator, type OrchestratorSnapshot } from '@loompa/core';
import { markdownTracker } from '@loompa/tracker-markdown';
import { afterEach, describe, expect, it } from 'vitest';
import { type LoompaService, startLoompaService } from '../src/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a service with Loompa mounted in it', () => {
  it('answers its own routes next to the Loompa API and dashboard, and 404 elsewhere', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-embed-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const workflowPath = path.join(root, 'WORKFLOW.md');
    await writeFile(
      workflowPath,
      `---\ntracker: { kind: markdown }\nworkspace: { state_directory: ${JSON.stringify(path.join(root, 'state'))} }\n---\nWork\n`,
    );
    const orchestrator = createOrchestrator({ workflowPath, trackers: { markdown: markdownTracker } });
    const service: LoompaService = await startLoompaService({ orchestrator, token: null });
    cleanups.push(() => service.close());

    expect(await (await fetch(`${service.url}/healthz`)).text()).toBe('ok\n');
    const state = (await (await fetch(`${service.url}/api/v1/state`)).json()) as OrchestratorSnapshot;
    expect(state.pause.paused).toBe(false);
    const page = await fetch(`${service.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('/assets/dashboard.js');
    const elsewhere = await fetch(`${service.url}/other`);
    expect(elsewhere.status).toBe(404);
  });
});
