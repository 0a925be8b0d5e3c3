import {
  type CallOptions,
  type Issue,
  type NewIssue,
  normalizeName,
  type TrackerChange,
  type TrackerV1,
} from '@loompa/core';
import { MockCallRecorder, type MockResponse } from './mock-method.js';
import { createTestIssue } from './test-issue.js';

type Options<Method extends keyof TrackerV1> = Parameters<
  Extract<NonNullable<TrackerV1[Method]>, Function>
>[0];

export interface MockTrackerSettings {
  /**
   * An in-memory issue store. When given, list, get, transition, comment, labels and create
   * work on it (unless overridden below), which is what most orchestrator tests want.
   */
  issues?: Issue[];
  /** Give the mock a `watch` capability; call `emitChange` to fire it. */
  watchable?: boolean;
  /**
   * Give the mock in-memory leases for `claimIssue`/`releaseIssue` (unless overridden below):
   * another owner's unexpired lease refuses a claim, the same owner renews, an expired lease is
   * taken over. `leases` shows them.
   */
  claimable?: boolean;
  /** The clock leases are judged by. Default `Date.now`. */
  now?: () => number;
  listIssues?: MockResponse<Options<'listIssues'>, Issue[]>;
  getIssues?: MockResponse<Options<'getIssues'>, Issue[]>;
  transitionIssue?: MockResponse<Options<'transitionIssue'>, void>;
  commentOnIssue?: MockResponse<Options<'commentOnIssue'>, void>;
  updateLabels?: MockResponse<Options<'updateLabels'>, void>;
  claimIssue?: MockResponse<Options<'claimIssue'>, boolean>;
  releaseIssue?: MockResponse<Options<'releaseIssue'>, void>;
  createIssue?: MockResponse<Options<'createIssue'>, Issue>;
}

/** A comment written through the mock, kept for assertions. */
export interface MockTrackerComment {
  issueId: string;
  body: string;
  key: string | undefined;
}

/**
 * `TrackerV1` for tests. Capabilities exist only when configured, so core's fallbacks for a
 * missing capability are exercised exactly as with a real tracker that lacks it.
 */
export class MockTracker implements TrackerV1 {
  readonly specificationVersion = 'tracker-v1' as const;
  readonly name = 'mock';
  readonly recorder = new MockCallRecorder('MockTracker');
  readonly issues: Map<string, Issue> | null;
  readonly comments: MockTrackerComment[] = [];
  /** The leases in force by issue id, when the mock is `claimable`. */
  readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  private readonly watchers = new Set<(change: TrackerChange) => void>();

  transitionIssue?: TrackerV1['transitionIssue'];
  commentOnIssue?: TrackerV1['commentOnIssue'];
  updateLabels?: TrackerV1['updateLabels'];
  claimIssue?: TrackerV1['claimIssue'];
  releaseIssue?: TrackerV1['releaseIssue'];
  createIssue?: TrackerV1['createIssue'];
  watch?: TrackerV1['watch'];

  constructor(private readonly settings: MockTrackerSettings = {}) {
    this.issues = settings.issues ? new Map(settings.issues.map((issue) => [issue.id, { ...issue }])) : null;
    const store = this.issues;
    const capability = <Method extends keyof MockTrackerSettings>(
      method: Method,
      storeImplementation: ((options: any) => unknown) | null,
    ) => {
      const configured = settings[method];
      if (configured === undefined && (store === null || storeImplementation === null)) return undefined;
      return (options: unknown) =>
        this.recorder.respond(
          method,
          options,
          (configured ?? storeImplementation) as MockResponse<unknown, any>,
        );
    };
    this.transitionIssue = capability('transitionIssue', (options: Options<'transitionIssue'>) => {
      this.updateIssue(options.issueId, { state: options.state });
    });
    this.commentOnIssue = capability('commentOnIssue', (options: Options<'commentOnIssue'>) => {
      const existing = options.key
        ? this.comments.find((comment) => comment.issueId === options.issueId && comment.key === options.key)
        : undefined;
      if (existing) existing.body = options.body;
      else this.comments.push({ issueId: options.issueId, body: options.body, key: options.key });
    });
    this.updateLabels = capability('updateLabels', (options: Options<'updateLabels'>) => {
      const issue = this.requireIssue(options.issueId);
      const remove = new Set((options.remove ?? []).map(normalizeName));
      const labels = issue.labels.filter((label) => !remove.has(label));
      for (const label of (options.add ?? []).map(normalizeName))
        if (!labels.includes(label)) labels.push(label);
      this.updateIssue(options.issueId, { labels });
    });
    this.createIssue = capability('createIssue', (options: Options<'createIssue'>) =>
      this.addIssue(options.issue),
    );
    const now = settings.now ?? Date.now;
    const leaseCapability = <Method extends 'claimIssue' | 'releaseIssue'>(
      method: Method,
      implementation: (options: any) => unknown,
    ) => {
      if (!settings.claimable) return capability(method, null);
      return (options: unknown) =>
        this.recorder.respond(
          method,
          options,
          (settings[method] ?? implementation) as MockResponse<unknown, any>,
        );
    };
    this.claimIssue = leaseCapability('claimIssue', (options: Options<'claimIssue'>) => {
      const lease = this.leases.get(options.issueId);
      if (lease && lease.owner !== options.owner && lease.expiresAt > now()) return false;
      this.leases.set(options.issueId, { owner: options.owner, expiresAt: now() + options.leaseMs });
      return true;
    }) as TrackerV1['claimIssue'];
    this.releaseIssue = leaseCapability('releaseIssue', (options: Options<'releaseIssue'>) => {
      if (this.leases.get(options.issueId)?.owner === options.owner) this.leases.delete(options.issueId);
    }) as TrackerV1['releaseIssue'];
    if (settings.watchable) {
      this.watch = (options) => {
        this.recorder.calls.push({ method: 'watch', options });
        const listener = options.onChange;
        this.watchers.add(listener);
        options.abortSignal.addEventListener('abort', () => this.watchers.delete(listener), { once: true });
      };
    }
  }

  listIssues(options: CallOptions & { states: readonly string[] }): Promise<Issue[]> {
    const states = new Set(options.states.map(normalizeName));
    const fromStore =
      this.issues === null
        ? undefined
        : () =>
            [...this.issues!.values()]
              .filter((issue) => states.has(normalizeName(issue.state)))
              .map(copyIssue);
    return this.recorder.respond('listIssues', options, this.settings.listIssues ?? fromStore);
  }

  getIssues(options: CallOptions & { ids: readonly string[] }): Promise<Issue[]> {
    const fromStore =
      this.issues === null
        ? undefined
        : () => options.ids.flatMap((id) => (this.issues!.has(id) ? [copyIssue(this.issues!.get(id)!)] : []));
    return this.recorder.respond('getIssues', options, this.settings.getIssues ?? fromStore);
  }

  /** Changes an issue in the store, as a person would in the tracker. */
  updateIssue(issueId: string, patch: Partial<Issue>): Issue {
    const updated = { ...this.requireIssue(issueId), ...patch, updatedAt: new Date() };
    this.issues!.set(issueId, updated);
    return updated;
  }

  /** Adds an issue to the store. */
  addIssue(fields: NewIssue | Partial<Issue>): Issue {
    if (this.issues === null)
      throw new Error('MockTracker has no issue store: pass "issues" to the constructor');
    const { blockedBy, assignee, ...rest } = fields as NewIssue & Partial<Issue>;
    const issue = createTestIssue({
      ...(rest as Partial<Issue>),
      labels: (fields.labels ?? []).map(normalizeName),
      ...(assignee ? { assignees: [assignee] } : {}),
      ...(Array.isArray(blockedBy)
        ? {
            blockedBy: blockedBy.map((blocker) =>
              typeof blocker === 'string' ? { id: blocker, identifier: blocker, state: null } : blocker,
            ),
          }
        : {}),
    });
    this.issues.set(issue.id, issue);
    return copyIssue(issue);
  }

  /** Removes an issue from the store (the tracker forgot it). */
  deleteIssue(issueId: string): void {
    this.issues?.delete(issueId);
  }

  /** Fires every active `watch` listener. */
  emitChange(change: TrackerChange = {}): void {
    for (const listener of this.watchers) listener(change);
  }

  private requireIssue(issueId: string): Issue {
    const issue = this.issues?.get(issueId);
    if (!issue) throw new Error(`MockTracker has no issue with id "${issueId}"`);
    return issue;
  }
}

function copyIssue(issue: Issue): Issue {
  return {
    ...issue,
    labels: [...issue.labels],
    assignees: [...issue.assignees],
    blockedBy: [...issue.blockedBy],
  };
}
