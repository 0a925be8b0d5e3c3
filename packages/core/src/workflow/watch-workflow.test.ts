import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { WorkflowError } from '../errors/error-classes.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import { loadWorkflow, type Workflow } from './load-workflow.js';
import { type WatchWorkflowOptions, watchWorkflow } from './watch-workflow.js';

/** Hot reload is asynchronous by nature: wait generously, but never assert how long it took. */
const waitOptions = { timeout: 15_000, interval: 25 };

let directory: string;
let workflowPath: string;
const stopFunctions: Array<() => void> = [];

/** A valid WORKFLOW.md told apart from the others by its polling interval. */
function workflowText(intervalMs: number): string {
  return `---\npolling:\n  interval_ms: ${intervalMs}\n---\nWork on {{ issue.identifier }}.\n`;
}

const invalidText = '---\npolling:\n  interval_ms: -5\n---\nWork on {{ issue.identifier }}.\n';

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-watch-workflow-'));
  workflowPath = path.join(directory, 'WORKFLOW.md');
  await writeFile(workflowPath, workflowText(1000));
});

afterEach(async () => {
  for (const stop of stopFunctions.splice(0)) stop();
  await rm(directory, { recursive: true, force: true });
});

/** Starts a watcher that records what it reports. */
function watch(options: Partial<WatchWorkflowOptions> = {}) {
  const changes: Workflow[] = [];
  const errors: WorkflowError[] = [];
  const stop = watchWorkflow(workflowPath, {
    environment: {},
    onChange: (workflow) => changes.push(workflow),
    onError: (error) => errors.push(error),
    ...options,
  });
  stopFunctions.push(stop);
  const intervals = () => changes.map((workflow) => workflow.config.polling.interval_ms);
  return { changes, errors, intervals, stop };
}

describe('watchWorkflow', () => {
  it('applies a valid edit', async () => {
    const watcher = watch();
    await writeFile(workflowPath, workflowText(2000));
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([2000]), waitOptions);
    expect(watcher.changes[0]!.filePath).toBe(workflowPath);
    expect(watcher.errors).toEqual([]);
  });

  it('keeps the last good workflow on an invalid edit, reports it, and resumes when fixed', async () => {
    const watcher = watch();
    await writeFile(workflowPath, invalidText);
    await vi.waitFor(() => expect(watcher.errors).toHaveLength(1), waitOptions);
    const error = watcher.errors[0]!;
    expect(error).toBeInstanceOf(WorkflowError);
    expect(error.message).toBe(
      `Invalid workflow: ${workflowPath}:3:16: polling.interval_ms: expected a positive whole number, found -5`,
    );
    expect(watcher.changes).toEqual([]);

    await writeFile(workflowPath, workflowText(3000));
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([3000]), waitOptions);
    expect(watcher.errors).toHaveLength(1);
  });

  it('reports the workflow again when the fix restores exactly the last good content', async () => {
    const initial = await loadWorkflow(workflowPath, { environment: {} });
    const watcher = watch();
    await writeFile(workflowPath, invalidText);
    await vi.waitFor(() => expect(watcher.errors).toHaveLength(1), waitOptions);

    await writeFile(workflowPath, workflowText(1000));
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([1000]), waitOptions);
    expect(watcher.changes[0]!.contentHash).toBe(initial.contentHash);
  });

  it('reports a second, different problem while the first is still unfixed', async () => {
    const watcher = watch();
    await writeFile(workflowPath, invalidText);
    await vi.waitFor(() => expect(watcher.errors).toHaveLength(1), waitOptions);
    await writeFile(workflowPath, '---\nagent:\n  max_turns: none\n---\n');
    await vi.waitFor(() => expect(watcher.errors).toHaveLength(2), waitOptions);
    expect(watcher.errors[1]!.message).toBe(
      `Invalid workflow: ${workflowPath}:3:14: agent.max_turns: expected a positive whole number, found "none"`,
    );
    await writeFile(workflowPath, workflowText(1500));
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([1500]), waitOptions);
    expect(watcher.errors).toHaveLength(2);
  });

  it('follows an editor that writes a temporary file and renames it over the workflow', async () => {
    const watcher = watch();
    const temporary = path.join(directory, '.WORKFLOW.md.swp');
    await writeFile(temporary, workflowText(4000));
    await rename(temporary, workflowPath);
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([4000]), waitOptions);

    // The watch survives the replacement: a second atomic save is seen too.
    await writeFile(temporary, workflowText(4500));
    await rename(temporary, workflowPath);
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([4000, 4500]), waitOptions);
    expect(watcher.errors).toEqual([]);
  });

  it('reports a deleted file, keeps the last good workflow, and picks the file up when recreated', async () => {
    const watcher = watch();
    await unlink(workflowPath);
    await vi.waitFor(() => expect(watcher.errors).toHaveLength(1), waitOptions);
    expect(watcher.errors[0]!.message).toBe(
      `Invalid workflow: ${workflowPath}: file not found (keeping the last valid workflow)`,
    );
    expect(watcher.errors[0]!.problems[0]!.found).toBe('file not found');
    expect(watcher.changes).toEqual([]);

    // Recreated with the very content that was in force: valid again, so it is reported.
    await writeFile(workflowPath, workflowText(1000));
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([1000]), waitOptions);

    await writeFile(workflowPath, workflowText(5000));
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([1000, 5000]), waitOptions);
    expect(watcher.errors).toHaveLength(1);
  });

  it('picks up a file deleted and recreated at once with new content', async () => {
    const watcher = watch();
    await unlink(workflowPath);
    await writeFile(workflowPath, workflowText(6000));
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([6000]), waitOptions);
  });

  it('turns a burst of writes into one reload of the final content', async () => {
    // The burst is far shorter than the quiet time, so only its end is read.
    const watcher = watch({ debounceMs: 500 });
    for (let step = 1; step <= 10; step++) await writeFile(workflowPath, workflowText(7000 + step));
    await vi.waitFor(() => expect(watcher.changes.length).toBeGreaterThan(0), waitOptions);
    // A later, separate edit marks the end: every reload of the burst came before it.
    await writeFile(workflowPath, workflowText(8000));
    await vi.waitFor(() => expect(watcher.intervals()).toContain(8000), waitOptions);
    expect(watcher.intervals()).toEqual([7010, 8000]);
    expect(watcher.errors).toEqual([]);
  });

  it('validates plugin sections on reload and reports whatever a plugin schema throws', async () => {
    const schema = z.looseObject({ kind: z.string() }).transform((settings) => {
      if (settings.explode === true) throw new Error('the tracker settings exploded');
      return settings;
    });
    const github = { settingsSchema: schema, create: (): TrackerV1 => ({}) as TrackerV1 };
    await writeFile(workflowPath, '---\ntracker:\n  kind: github\n---\n');
    const watcher = watch({ plugins: { trackers: { github } } });

    await writeFile(workflowPath, '---\ntracker:\n  kind: gitlab\n---\n');
    await vi.waitFor(() => expect(watcher.errors).toHaveLength(1), waitOptions);
    expect(watcher.errors[0]!.message).toBe(
      `Invalid workflow: ${workflowPath}:3:9: tracker.kind: unknown tracker kind "gitlab"; registered kinds: github`,
    );

    await writeFile(workflowPath, '---\ntracker:\n  kind: github\n  explode: true\n---\n');
    await vi.waitFor(() => expect(watcher.errors).toHaveLength(2), waitOptions);
    expect(watcher.errors[1]).toBeInstanceOf(WorkflowError);
    expect(watcher.errors[1]!.message).toBe(
      `Invalid workflow: ${workflowPath}: the tracker settings exploded`,
    );

    await writeFile(workflowPath, '---\ntracker:\n  kind: github\n  owner: acme\n---\n');
    await vi.waitFor(() => expect(watcher.changes).toHaveLength(1), waitOptions);
    expect(watcher.changes[0]!.pluginSettings.tracker).toEqual({ kind: 'github', owner: 'acme' });
  });

  it('catches an edit made between loading the workflow and starting to watch it', async () => {
    const loaded = await loadWorkflow(workflowPath, { environment: {} });
    await writeFile(workflowPath, workflowText(2500));
    const watcher = watch({ initialContentHash: loaded.contentHash });
    await vi.waitFor(() => expect(watcher.intervals()).toEqual([2500]), waitOptions);
  });

  it('reports nothing after it is stopped', async () => {
    const stopped = watch();
    stopped.stop();
    const witness = watch();
    await writeFile(workflowPath, workflowText(9000));
    await vi.waitFor(() => expect(witness.intervals()).toEqual([9000]), waitOptions);
    await writeFile(workflowPath, invalidText);
    await vi.waitFor(() => expect(witness.errors).toHaveLength(1), waitOptions);
    expect(stopped.changes).toEqual([]);
    expect(stopped.errors).toEqual([]);
  });
});
