import { type Issue, normalizeName, type TrackerV1 } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';
import { testTrackerClaims } from './test-tracker-claims.js';

/** Fields the suite seeds issues with; trackers map them onto their own storage. */
export interface SeedIssue {
  title: string;
  state: string;
  labels?: string[];
  priority?: number;
  description?: string;
}

export interface TrackerConformanceFixture {
  tracker: TrackerV1;
  /** Creates an issue directly in the tracker's storage (not through the tracker under test). */
  seedIssue(issue: SeedIssue): Promise<Issue>;
  /**
   * Number of storage reads so far (files parsed, requests sent), so the suite can check that
   * an empty refresh reads nothing. Omit when the tracker cannot count.
   */
  countReads?(): number;
  /**
   * The comment bodies stored for an issue, oldest first, read directly from storage (not through
   * the tracker under test), so the suite can check that comments land. Omit when the tracker
   * cannot read its comments back.
   */
  readComments?(issueId: string): Promise<string[]>;
  cleanup?(): Promise<void>;
}

export interface TrackerConformanceOptions {
  /** Names the suite in test output, e.g. `markdown`. */
  name: string;
  /** A fresh, empty tracker for each test. */
  setup(): Promise<TrackerConformanceFixture>;
}

/** The behaviour every `TrackerV1` must show. Call it inside a vitest file. */
export function testTracker(options: TrackerConformanceOptions): void {
  describe(`TrackerV1 conformance: ${options.name}`, () => {
    let fixture: TrackerConformanceFixture | null = null;
    const start = async () => {
      fixture = await options.setup();
      return fixture;
    };
    afterEach(async () => {
      await fixture?.cleanup?.();
      fixture = null;
    });

    it('declares tracker-v1', async () => {
      const { tracker } = await start();
      expect(tracker.specificationVersion).toBe('tracker-v1');
      expect(typeof tracker.name).toBe('string');
    });

    it('lists only issues in the given states, comparing states trimmed and case-insensitively', async () => {
      const { tracker, seedIssue } = await start();
      const todo = await seedIssue({ title: 'First', state: 'Todo' });
      const doing = await seedIssue({ title: 'Second', state: 'In Progress' });
      await seedIssue({ title: 'Third', state: 'Done' });
      const listed = await tracker.listIssues({ states: [' todo', 'IN PROGRESS '] });
      expect(listed.map((issue) => issue.id).sort()).toEqual([todo.id, doing.id].sort());
      expect(await tracker.listIssues({ states: ['nothing-here'] })).toEqual([]);
    });

    it('normalizes issues: required fields present, labels trimmed and lowercased', async () => {
      const { tracker, seedIssue } = await start();
      const seeded = await seedIssue({
        title: 'Labelled',
        state: 'todo',
        labels: [' Bug ', 'UI'],
        priority: 2,
      });
      const [issue] = await tracker.getIssues({ ids: [seeded.id] });
      expect(issue).toBeDefined();
      expect(issue!.id).toBe(seeded.id);
      expect(issue!.identifier.length).toBeGreaterThan(0);
      expect(issue!.title).toBe('Labelled');
      expect(normalizeName(issue!.state)).toBe('todo');
      expect(issue!.labels.sort()).toEqual(['bug', 'ui']);
      expect(issue!.priority).toBe(2);
      expect(Array.isArray(issue!.blockedBy)).toBe(true);
      expect(typeof issue!.dispatchable).toBe('boolean');
    });

    it('refreshes by id and omits ids it does not know', async () => {
      const { tracker, seedIssue } = await start();
      const first = await seedIssue({ title: 'One', state: 'todo' });
      const second = await seedIssue({ title: 'Two', state: 'done' });
      const refreshed = await tracker.getIssues({ ids: [first.id, 'no-such-issue', second.id] });
      expect(refreshed.map((issue) => issue.id).sort()).toEqual([first.id, second.id].sort());
    });

    it('answers an empty id list with an empty list', async () => {
      const { tracker, seedIssue } = await start();
      await seedIssue({ title: 'One', state: 'todo' });
      expect(await tracker.getIssues({ ids: [] })).toEqual([]);
    });

    it('reads nothing for an empty id list (when the fixture counts reads)', async (context) => {
      const fixture = await start();
      if (!fixture.countReads) return context.skip();
      await fixture.seedIssue({ title: 'One', state: 'todo' });
      const readsBefore = fixture.countReads();
      await fixture.tracker.getIssues({ ids: [] });
      expect(fixture.countReads()).toBe(readsBefore);
    });

    it('shows a transition on the next read (when it can transition)', async (context) => {
      const { tracker, seedIssue } = await start();
      if (!tracker.transitionIssue) return context.skip();
      const issue = await seedIssue({ title: 'Move me', state: 'todo' });
      await tracker.transitionIssue({ issueId: issue.id, state: 'In Progress' });
      const [moved] = await tracker.getIssues({ ids: [issue.id] });
      expect(normalizeName(moved!.state)).toBe('in progress');
      const listed = await tracker.listIssues({ states: ['in progress'] });
      expect(listed.map((item) => item.id)).toContain(issue.id);
    });

    it('accepts a comment and keeps the issue readable (when it can comment)', async (context) => {
      const { tracker, seedIssue } = await start();
      if (!tracker.commentOnIssue) return context.skip();
      const issue = await seedIssue({ title: 'Comment on me', state: 'todo' });
      await tracker.commentOnIssue({ issueId: issue.id, body: 'Working on it' });
      await tracker.commentOnIssue({ issueId: issue.id, body: 'Status: 1', key: 'status' });
      await tracker.commentOnIssue({ issueId: issue.id, body: 'Status: 2', key: 'status' });
      const [after] = await tracker.getIssues({ ids: [issue.id] });
      expect(after!.title).toBe('Comment on me');
      expect(normalizeName(after!.state)).toBe('todo');
    });

    // Split from the test above so a fixture that cannot read comments back shows this as
    // skipped rather than passing without ever checking where the comments landed.
    it('stores comments, one per key (when it can comment and the fixture reads comments)', async (context) => {
      const { tracker, seedIssue, readComments } = await start();
      if (!tracker.commentOnIssue || !readComments) return context.skip();
      const issue = await seedIssue({ title: 'Comment on me', state: 'todo' });
      await tracker.commentOnIssue({ issueId: issue.id, body: 'Working on it' });
      await tracker.commentOnIssue({ issueId: issue.id, body: 'Status: 1', key: 'status' });
      await tracker.commentOnIssue({ issueId: issue.id, body: 'Status: 2', key: 'status' });
      const comments = await readComments(issue.id);
      expect(comments).toContain('Working on it');
      expect(comments[comments.length - 1]).toBe('Status: 2');
      // Repeating the latest keyed comment adds nothing, whether the tracker edits or appends.
      await tracker.commentOnIssue({ issueId: issue.id, body: 'Status: 2', key: 'status' });
      expect(await readComments(issue.id)).toEqual(comments);
    });

    it('moves a transitioned issue out of its old state listing (when it can transition)', async (context) => {
      const { tracker, seedIssue } = await start();
      if (!tracker.transitionIssue) return context.skip();
      const issue = await seedIssue({ title: 'Finish me', state: 'In Progress' });
      const other = await seedIssue({ title: 'Stay', state: 'in progress' });
      await tracker.transitionIssue({ issueId: issue.id, state: 'Done' });
      const stillActive = await tracker.listIssues({ states: ['in progress'] });
      expect(stillActive.map((item) => item.id)).toEqual([other.id]);
      const finished = await tracker.listIssues({ states: ['DONE'] });
      expect(finished.map((item) => item.id)).toEqual([issue.id]);
    });

    it('adds and removes labels compared trimmed and case-insensitively (when it can)', async (context) => {
      const { tracker, seedIssue } = await start();
      if (!tracker.updateLabels) return context.skip();
      const issue = await seedIssue({ title: 'Relabel me', state: 'todo', labels: ['Bug', 'UI'] });
      await tracker.updateLabels({ issueId: issue.id, add: [' Needs-Review ', 'ui'], remove: ['BUG '] });
      const [after] = await tracker.getIssues({ ids: [issue.id] });
      expect(after!.labels.sort()).toEqual(['needs-review', 'ui']);
    });

    it('creates an issue that the next reads return normalized (when it can create)', async (context) => {
      const { tracker } = await start();
      if (!tracker.createIssue) return context.skip();
      const created = await tracker.createIssue({
        issue: { title: 'Created here', state: 'todo', labels: [' Feature '], priority: 3 },
      });
      expect(created.title).toBe('Created here');
      expect(created.labels).toEqual(['feature']);
      const [read] = await tracker.getIssues({ ids: [created.id] });
      expect(read).toMatchObject({ id: created.id, title: 'Created here', priority: 3, labels: ['feature'] });
      const listed = await tracker.listIssues({ states: ['Todo'] });
      expect(listed.map((item) => item.id)).toContain(created.id);
    });

    it('finds an issue created with a key by that key, in any state (when it can create and find)', async (context) => {
      const { tracker } = await start();
      if (!tracker.createIssue || !tracker.findIssueByKey) return context.skip();
      expect(await tracker.findIssueByKey({ key: 'flaky-test:0123456789abcdef' })).toBeNull();
      await tracker.createIssue({ issue: { title: 'Unkeyed', state: 'todo' } });
      const created = await tracker.createIssue({
        issue: {
          title: 'Keyed <b>issue</b>',
          description: 'Body with a --> and <!-- in it',
          state: 'done',
          key: 'flaky-test:0123456789abcdef',
        },
      });
      await tracker.createIssue({
        issue: { title: 'Another key', state: 'todo', key: 'flaky-test:0123456789abcdef0' },
      });
      const found = await tracker.findIssueByKey({ key: 'flaky-test:0123456789abcdef' });
      expect(found).toMatchObject({ id: created.id, title: 'Keyed <b>issue</b>' });
      expect(found!.description).toContain('Body with a --> and <!-- in it');
      expect(await tracker.findIssueByKey({ key: 'flaky-test:fedcba9876543210' })).toBeNull();
    });

    it('reports a change through watch and stops after the abort (when it can watch)', async (context) => {
      const { tracker, seedIssue } = await start();
      if (!tracker.watch) return context.skip();
      const controller = new AbortController();
      const changes: unknown[] = [];
      let notify: () => void = () => {};
      const firstChange = new Promise<void>((resolve) => {
        notify = resolve;
      });
      tracker.watch({
        abortSignal: controller.signal,
        onChange: (change) => {
          changes.push(change);
          notify();
        },
      });
      await seedIssue({ title: 'Watched', state: 'todo' });
      await firstChange;
      controller.abort();
      const countAtAbort = changes.length;
      await seedIssue({ title: 'After the abort', state: 'todo' });
      // Give a late event every chance to arrive before checking that none did.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(changes.length).toBe(countAtAbort);
    });

    testTrackerClaims(start);
  });
}
