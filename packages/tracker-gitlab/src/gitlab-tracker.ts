import {
  type CallOptions,
  createSilentLogger,
  hasIssueKeyMarker,
  type Issue,
  type Logger,
  type NewIssue,
  normalizeName,
  type TrackerChange,
  TrackerError,
  type TrackerV1,
  withIssueKeyMarker,
} from '@loompa/core';
import {
  createGitLabClient,
  type GitLabClient,
  type GitLabClientSettings,
  GitLabRequestError,
  type GitLabWebhookServerOptions,
  keyOfNote,
  withKeyMarker,
} from '@loompa/gitlab-client';
import {
  type GitLabIssueFields,
  gitLabIssueToIssue,
  type IssueMappingRules,
  labelNames,
} from './gitlab-issue-to-issue.js';
import { leaseNoteBody, parseLeaseNote } from './issue-lease.js';
import { isClosedState, transitionEdit } from './issue-states.js';
import { watchIssueWebhooks } from './watch-issue-webhooks.js';
import { watchIssues } from './watch-issues.js';

export interface GitLabTrackerSettings {
  /** A ready client, or the settings to build one. */
  client: GitLabClient | GitLabClientSettings;
  /** `group/project` or the numeric id. */
  project: string;
  /** States whose issues are worked on; the first is the state of open issues without a state label. */
  activeStates?: readonly string[];
  /** States in which an issue is finished (closed on GitLab); the first is that of closed issues without a state label. */
  terminalStates?: readonly string[];
  /** State of an open issue without a state label; the first active state by default. */
  openState?: string;
  /** State of a closed issue without a state label; the first terminal state by default. */
  closedState?: string;
  stateLabelPrefix?: string;
  priorityLabelPrefix?: string;
  typeLabelPrefix?: string;
  /** Only issues carrying all these labels are listed (filtered by GitLab). */
  requiredLabels?: readonly string[];
  /** Only issues assigned to this username are listed. */
  assignee?: string | null;
  /** Only issues in this milestone (its title) are listed. */
  milestone?: string | null;
  /** Label shown while an orchestrator holds an issue. */
  leaseLabel?: string;
  /** How often `watch` asks GitLab for issues updated since its last look. */
  pollIntervalMs?: number;
  /** Where to receive GitLab webhooks so `watch` reports changes at once; polling only when absent. */
  webhook?: GitLabWebhookServerOptions | null;
  /** Environment variables holding the token, removed from agent environments by core. */
  secretEnvironmentVariables?: readonly string[];
  logger?: Logger;
}

const issueIdPattern = /^\d+$/;

/**
 * GitLab issues as a Loompa tracker. States are scoped labels on top of opened/closed (see
 * issue-states.ts); comments with a key are one note edited in place; claims assign the
 * token's user, add a lease label and keep the lease (owner, expiry) in a keyed note.
 */
export class GitLabTracker implements TrackerV1 {
  readonly specificationVersion = 'tracker-v1' as const;
  readonly name = 'gitlab';
  readonly secretEnvironmentVariables: readonly string[];
  readonly client: GitLabClient;
  private readonly project: string;
  private readonly rules: IssueMappingRules;
  private readonly settings: GitLabTrackerSettings;
  private readonly logger: Logger;

  constructor(settings: GitLabTrackerSettings) {
    this.settings = settings;
    this.client = 'api' in settings.client ? settings.client : createGitLabClient(settings.client);
    this.project = settings.project;
    this.logger = settings.logger ?? createSilentLogger();
    this.secretEnvironmentVariables = settings.secretEnvironmentVariables ?? ['GITLAB_TOKEN'];
    const activeStates = (settings.activeStates ?? ['todo', 'in progress']).map(normalizeName);
    const terminalStates = (settings.terminalStates ?? ['done', 'cancelled']).map(normalizeName);
    const leaseLabel = settings.leaseLabel ?? 'loompa::claimed';
    this.rules = {
      stateLabelPrefix: settings.stateLabelPrefix ?? 'status::',
      priorityLabelPrefix: settings.priorityLabelPrefix ?? 'priority::',
      typeLabelPrefix: settings.typeLabelPrefix ?? 'type::',
      openState: normalizeName(settings.openState ?? activeStates[0] ?? 'todo'),
      closedState: normalizeName(settings.closedState ?? terminalStates[0] ?? 'done'),
      terminalStates,
      internalLabels: [leaseLabel],
    };
  }

  private get leaseLabel(): string {
    return this.rules.internalLabels[0]!;
  }

  private fail(action: string, error: unknown): never {
    if (error instanceof TrackerError) throw error;
    if (error instanceof Error && error.name === 'AbortError') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TrackerError(`GitLab tracker (project ${this.project}) could not ${action}: ${message}`, {
      cause: error,
    });
  }

  private toIssue(issue: GitLabIssueFields): Issue {
    return gitLabIssueToIssue(this.rules, issue);
  }

  private listFilters() {
    return {
      ...(this.settings.requiredLabels?.length ? { labels: this.settings.requiredLabels.join(',') } : {}),
      ...(this.settings.assignee ? { assigneeUsername: [this.settings.assignee] } : {}),
      ...(this.settings.milestone ? { milestone: this.settings.milestone } : {}),
    };
  }

  async listIssues(options: CallOptions & { states: readonly string[] }): Promise<Issue[]> {
    const wanted = new Set(options.states.map(normalizeName));
    if (wanted.size === 0) return [];
    const gitLabStates = new Set<'opened' | 'closed'>();
    for (const state of wanted) gitLabStates.add(isClosedState(this.rules, state) ? 'closed' : 'opened');
    try {
      const lists = await this.client.call(options.abortSignal, (api) =>
        Promise.all(
          [...gitLabStates].map((state) =>
            api.Issues.all({
              projectId: this.project,
              state,
              orderBy: 'updated_at',
              sort: 'desc',
              ...this.listFilters(),
              ...this.client.pageLimits,
            }),
          ),
        ),
      );
      for (const [index, list] of lists.entries()) {
        this.client.noteIfTruncated(`${[...gitLabStates][index]} issues`, list);
      }
      return lists
        .flat()
        .map((issue) => this.toIssue(issue as unknown as GitLabIssueFields))
        .filter((issue) => wanted.has(normalizeName(issue.state)));
    } catch (error) {
      this.fail(`list issues in ${[...wanted].join(', ')}`, error);
    }
  }

  async getIssues(options: CallOptions & { ids: readonly string[] }): Promise<Issue[]> {
    const iids = [...new Set(options.ids.filter((id) => issueIdPattern.test(id)).map(Number))];
    if (iids.length === 0) return [];
    try {
      const found: GitLabIssueFields[] = [];
      for (let start = 0; start < iids.length; start += this.client.pageLimits.perPage) {
        const chunk = iids.slice(start, start + this.client.pageLimits.perPage);
        const issues = await this.client.call(options.abortSignal, (api) =>
          api.Issues.all({
            projectId: this.project,
            iids: chunk,
            state: 'all' as never,
            ...this.client.pageLimits,
          }),
        );
        found.push(...(issues as unknown as GitLabIssueFields[]));
      }
      return found.map((issue) => this.toIssue(issue));
    } catch (error) {
      this.fail(`read issues ${iids.join(', ')}`, error);
    }
  }

  private async readIssue(issueId: string, abortSignal: AbortSignal | undefined): Promise<GitLabIssueFields> {
    if (!issueIdPattern.test(issueId)) {
      throw new TrackerError(`GitLab issue ids are issue numbers (iid); "${issueId}" is not one`);
    }
    try {
      return (await this.client.call(abortSignal, (api) =>
        api.Issues.show(Number(issueId), { projectId: this.project }),
      )) as unknown as GitLabIssueFields;
    } catch (error) {
      if (GitLabRequestError.hasStatus(error, 404)) {
        throw new TrackerError(`GitLab project ${this.project} has no issue #${issueId}`, { cause: error });
      }
      this.fail(`read issue #${issueId}`, error);
    }
  }

  async transitionIssue(options: CallOptions & { issueId: string; state: string }): Promise<void> {
    const issue = await this.readIssue(options.issueId, options.abortSignal);
    const edit = transitionEdit(this.rules, { state: issue.state, labels: labelNames(issue) }, options.state);
    if (edit.addLabels.length === 0 && edit.removeLabels.length === 0 && edit.stateEvent === null) return;
    try {
      await this.client.call(options.abortSignal, (api) =>
        api.Issues.edit(this.project, issue.iid, {
          ...(edit.addLabels.length ? { addLabels: edit.addLabels.join(',') } : {}),
          ...(edit.removeLabels.length ? { removeLabels: edit.removeLabels.join(',') } : {}),
          ...(edit.stateEvent ? { stateEvent: edit.stateEvent } : {}),
        }),
      );
    } catch (error) {
      this.fail(`move issue #${options.issueId} to ${options.state}`, error);
    }
  }

  /** The newest note of ours carrying `key`, if any. */
  private async findKeyedNote(iid: number, key: string, abortSignal: AbortSignal | undefined) {
    const user = await this.client.currentUser(abortSignal);
    const notes = await this.client.call(abortSignal, (api) =>
      api.IssueNotes.all(this.project, iid, {
        sort: 'desc',
        orderBy: 'created_at',
        ...this.client.pageLimits,
      }),
    );
    return notes.find((note) => note.author.id === user.id && keyOfNote(note.body) === key) ?? null;
  }

  async commentOnIssue(
    options: CallOptions & { issueId: string; body: string; key?: string },
  ): Promise<void> {
    if (!issueIdPattern.test(options.issueId)) {
      throw new TrackerError(`GitLab issue ids are issue numbers (iid); "${options.issueId}" is not one`);
    }
    const iid = Number(options.issueId);
    try {
      if (options.key === undefined) {
        await this.client.call(options.abortSignal, (api) =>
          api.IssueNotes.create(this.project, iid, options.body),
        );
        return;
      }
      const body = withKeyMarker(options.body, options.key);
      const existing = await this.findKeyedNote(iid, options.key, options.abortSignal);
      if (existing?.body === body) return;
      await this.client.call(options.abortSignal, (api) =>
        existing
          ? api.IssueNotes.edit(this.project, iid, existing.id, { body })
          : api.IssueNotes.create(this.project, iid, body),
      );
    } catch (error) {
      this.fail(`comment on issue #${options.issueId}`, error);
    }
  }

  async updateLabels(
    options: CallOptions & { issueId: string; add?: readonly string[]; remove?: readonly string[] },
  ): Promise<void> {
    const issue = await this.readIssue(options.issueId, options.abortSignal);
    const current = labelNames(issue);
    const adding = [
      ...new Set((options.add ?? []).map((label) => label.trim()).filter((label) => label !== '')),
    ];
    const addingNormalized = new Set(adding.map(normalizeName));
    const removing = new Set((options.remove ?? []).map(normalizeName));
    // Removed in GitLab's spelling; a label both added and removed stays.
    const removeLabels = current.filter(
      (label) => removing.has(normalizeName(label)) && !addingNormalized.has(normalizeName(label)),
    );
    const present = new Set(current.map(normalizeName));
    const addLabels = adding.filter((label) => !present.has(normalizeName(label)));
    if (addLabels.length === 0 && removeLabels.length === 0) return;
    try {
      await this.client.call(options.abortSignal, (api) =>
        api.Issues.edit(this.project, issue.iid, {
          ...(addLabels.length ? { addLabels: addLabels.join(',') } : {}),
          ...(removeLabels.length ? { removeLabels: removeLabels.join(',') } : {}),
        }),
      );
    } catch (error) {
      this.fail(`change the labels of issue #${options.issueId}`, error);
    }
  }

  private async userIdOf(username: string, abortSignal: AbortSignal | undefined): Promise<number> {
    const users = await this.client.call(abortSignal, (api) =>
      api.Users.all({ username, ...this.client.pageLimits }),
    );
    const user = users.find((candidate) => candidate.username === username);
    if (!user) throw new TrackerError(`GitLab has no user "${username}" to assign`);
    return user.id;
  }

  async createIssue(options: CallOptions & { issue: NewIssue }): Promise<Issue> {
    const { issue } = options;
    const labels = (issue.labels ?? []).map((label) => label.trim()).filter((label) => label !== '');
    const state = issue.state?.trim();
    if (state) {
      const edit = transitionEdit(this.rules, { state: 'opened', labels: [] }, state);
      labels.push(...edit.addLabels);
    }
    if (issue.priority !== undefined) labels.push(`${this.rules.priorityLabelPrefix}${issue.priority}`);
    if (issue.type) labels.push(`${this.rules.typeLabelPrefix}${issue.type}`);
    try {
      const assigneeIds = issue.assignee
        ? [await this.userIdOf(issue.assignee, options.abortSignal)]
        : undefined;
      let created = (await this.client.call(options.abortSignal, (api) =>
        api.Issues.create(this.project, issue.title, {
          ...(issue.key
            ? { description: withIssueKeyMarker(issue.description, issue.key) }
            : issue.description
              ? { description: issue.description }
              : {}),
          ...(labels.length ? { labels: labels.join(',') } : {}),
          ...(assigneeIds ? { assigneeIds } : {}),
        }),
      )) as unknown as GitLabIssueFields;
      if (state && isClosedState(this.rules, state)) {
        created = (await this.client.call(options.abortSignal, (api) =>
          api.Issues.edit(this.project, created.iid, { stateEvent: 'close' }),
        )) as unknown as GitLabIssueFields;
      }
      return this.toIssue(created);
    } catch (error) {
      this.fail(`create the issue "${issue.title}"`, error);
    }
  }

  /**
   * The issue created with `key`: GitLab's search over titles and descriptions first, then
   * the newest issues (a search index may lag an issue created moments before a crash).
   */
  async findIssueByKey(options: CallOptions & { key: string }): Promise<Issue | null> {
    try {
      for (const search of [options.key, undefined]) {
        const issues = (await this.client.call(options.abortSignal, (api) =>
          api.Issues.all({
            projectId: this.project,
            state: 'all' as never,
            orderBy: 'created_at',
            sort: 'desc',
            ...(search ? { search } : {}),
            perPage: 100,
            maxPages: 1,
          }),
        )) as unknown as GitLabIssueFields[];
        const found = issues.find((issue) => hasIssueKeyMarker(issue.description, options.key));
        if (found) return this.toIssue(found);
      }
      return null;
    } catch (error) {
      this.fail(`find the issue with key ${options.key}`, error);
    }
  }

  /** Unexpired leases on an issue, oldest note first, and our own lease note for `owner`. */
  private async readLeases(iid: number, owner: string, abortSignal: AbortSignal | undefined) {
    const user = await this.client.currentUser(abortSignal);
    const notes = await this.client.call(abortSignal, (api) =>
      api.IssueNotes.all(this.project, iid, {
        sort: 'asc',
        orderBy: 'created_at',
        ...this.client.pageLimits,
      }),
    );
    const now = Date.now();
    const active = notes
      .map((note) => ({ note, lease: parseLeaseNote(note.body) }))
      .filter((entry) => entry.lease !== null && entry.lease.expiresAt.getTime() > now)
      .sort((left, right) => left.note.id - right.note.id);
    const mine = notes.find(
      (note) => note.author.id === user.id && keyOfNote(note.body) === `lease:${owner}`,
    );
    return { holder: active[0]?.lease?.owner ?? null, mine: mine ?? null, user };
  }

  /**
   * Claims through GitLab itself, so orchestrators on different machines (and tokens) agree
   * without a shared store: each owner keeps one lease note (owner and expiry); among the
   * unexpired ones the oldest note holds the issue, which every reader decides the same way.
   * The issue is also assigned to the token's user and labelled, so people see who works on it.
   */
  async claimIssue(
    options: CallOptions & { issueId: string; owner: string; leaseMs: number },
  ): Promise<boolean> {
    const issue = await this.readIssue(options.issueId, options.abortSignal);
    const key = `lease:${options.owner}`;
    try {
      const before = await this.readLeases(issue.iid, options.owner, options.abortSignal);
      if (before.holder !== null && before.holder !== options.owner) return false;
      const body = withKeyMarker(leaseNoteBody(options.owner, new Date(Date.now() + options.leaseMs)), key);
      await this.client.call(options.abortSignal, (api) =>
        before.mine
          ? api.IssueNotes.edit(this.project, issue.iid, before.mine.id, { body })
          : api.IssueNotes.create(this.project, issue.iid, body),
      );
      // Two claimants may have written at once: the oldest unexpired lease decides, for both.
      const after = await this.readLeases(issue.iid, options.owner, options.abortSignal);
      if (after.holder !== options.owner) {
        await this.withdrawLease(issue.iid, options.owner, after.mine?.id ?? null, options.abortSignal);
        return false;
      }
      const assignees = (issue as { assignees?: { id: number }[] }).assignees ?? [];
      const assigneeIds = [...new Set([...assignees.map((assignee) => assignee.id), after.user.id])];
      await this.client.call(options.abortSignal, (api) =>
        api.Issues.edit(this.project, issue.iid, { addLabels: this.leaseLabel, assigneeIds }),
      );
      return true;
    } catch (error) {
      this.fail(`claim issue #${options.issueId}`, error);
    }
  }

  private async withdrawLease(
    iid: number,
    owner: string,
    noteId: number | null,
    abortSignal: AbortSignal | undefined,
  ): Promise<void> {
    if (noteId === null) return;
    await this.client.call(abortSignal, (api) =>
      api.IssueNotes.edit(this.project, iid, noteId, {
        body: withKeyMarker(`Released by ${owner}.`, `lease:${owner}`),
      }),
    );
  }

  async releaseIssue(options: CallOptions & { issueId: string; owner: string }): Promise<void> {
    const issue = await this.readIssue(options.issueId, options.abortSignal);
    try {
      const { mine, user, holder } = await this.readLeases(issue.iid, options.owner, options.abortSignal);
      if (!mine || parseLeaseNote(mine.body) === null) return;
      await this.withdrawLease(issue.iid, options.owner, mine.id, options.abortSignal);
      // Someone else's lease may still stand; their label and assignment stay then.
      if (holder !== null && holder !== options.owner) return;
      const assigneeIds = ((issue as { assignees?: { id: number }[] }).assignees ?? [])
        .map((assignee) => assignee.id)
        .filter((id) => id !== user.id);
      await this.client.call(options.abortSignal, (api) =>
        api.Issues.edit(this.project, issue.iid, { removeLabels: this.leaseLabel, assigneeIds }),
      );
    } catch (error) {
      this.fail(`release issue #${options.issueId}`, error);
    }
  }

  watch(
    options: Required<CallOptions> & {
      onChange: (change: TrackerChange) => void;
      onError?: (error: unknown) => void;
    },
  ): void {
    watchIssues({
      client: this.client,
      project: this.project,
      filters: this.listFilters(),
      intervalMs: this.settings.pollIntervalMs ?? 30_000,
      logger: this.logger,
      ...options,
    });
    if (this.settings.webhook) {
      watchIssueWebhooks({
        webhook: this.settings.webhook,
        project: this.project,
        logger: this.logger,
        ...options,
      });
    }
  }
}

export function createGitLabTracker(settings: GitLabTrackerSettings): GitLabTracker {
  return new GitLabTracker(settings);
}
