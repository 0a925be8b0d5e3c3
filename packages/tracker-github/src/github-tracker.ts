import {
  type CallOptions,
  createSilentLogger,
  hasIssueKeyMarker,
  InvalidArgumentError,
  type Issue,
  type IssueReference,
  type Logger,
  type NewIssue,
  normalizeName,
  TrackerError,
  type TrackerV1,
  withIssueKeyMarker,
} from '@loompa/core';
import type {
  GitHubClient,
  GitHubWebhookHandler,
  GitHubWebhookReceiverOptions,
  LoompaOctokitInstance,
} from '@loompa/github-client';
import { hasMarker, withMarker } from '@loompa/github-client';
import {
  defaultFieldRules,
  type GitHubIssueFieldRules,
  knownStates,
  labelForPriority,
  labelForType,
  placementOfState,
} from './github-issue-fields.js';
import { watchGitHubIssues } from './github-issue-watch.js';
import { claimIssueLease, releaseIssueLease } from './issue-lease.js';
import {
  type GitHubIssueJson,
  issueIdentifier,
  labelNames,
  normalizeGitHubIssue,
} from './normalize-github-issue.js';

export interface GitHubTrackerSettings {
  client: GitHubClient;
  /** `owner/name`. */
  repository: string;
  /** Intake: only issues carrying all of these labels are listed. */
  labels?: readonly string[];
  /** Intake: only issues assigned to this login. */
  assignee?: string | null;
  /** Intake: only issues in this milestone (its title or number). */
  milestone?: string | null;
  fieldRules?: Partial<GitHubIssueFieldRules>;
  /** Receive issue webhooks for `watch` on a receiver of its own (shared per port); without it the orchestrator polls. */
  webhook?: (GitHubWebhookReceiverOptions & { secret: string }) | null;
  /** Or listen on a receiver the caller runs (and shares with other GitHub plugins). */
  webhookReceiver?: Pick<GitHubWebhookHandler, 'subscribe'> | null;
  /** Environment variables holding the credentials, removed from agents' environments. */
  secretEnvironmentVariables?: readonly string[];
  logger?: Logger;
  /** Clock for leases; `Date.now` by default. */
  now?: () => number;
  /**
   * `getIssues` answers from an intake list fetched at most this long ago instead of reading
   * each issue again (the orchestrator lists, then refreshes the same issues, in one tick);
   * any write through this tracker forgets the list. 1,000 ms by default; 0 always reads.
   */
  listReuseMs?: number;
}

export interface GitHubTracker extends TrackerV1 {
  readonly client: GitHubClient;
  readonly repository: { owner: string; name: string };
  readonly fieldRules: GitHubIssueFieldRules;
}

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    statuses.includes((error as { status?: number }).status ?? -1)
  );
}

function issueNumberOf(issueId: string): number {
  const number = Number(issueId.replace(/^#/, ''));
  if (!Number.isInteger(number) || number <= 0) {
    throw new InvalidArgumentError(`GitHub issue id must be an issue number, got ${JSON.stringify(issueId)}`);
  }
  return number;
}

/**
 * GitHub Issues as a Loompa tracker. Every read is a conditional request, so an idle poll is
 * answered with 304s that cost no rate limit; pull requests (which the issues endpoint also
 * returns) are dropped; states are open/closed plus the state labels the workflow names.
 */
/** Pages of the newest issues `findIssueByKey` reads (100 each). */
const keySearchPages = 5;

export function createGitHubTracker(settings: GitHubTrackerSettings): GitHubTracker {
  const [owner, name] = settings.repository.split('/');
  if (!owner || !name || settings.repository.split('/').length !== 2) {
    throw new InvalidArgumentError(
      `repository must be written owner/name, got ${JSON.stringify(settings.repository)}`,
    );
  }
  const rules: GitHubIssueFieldRules = { ...defaultFieldRules, ...settings.fieldRules };
  const logger = settings.logger ?? createSilentLogger();
  const now = settings.now ?? Date.now;
  const client = settings.client;
  const intakeLabels = [
    ...new Set((settings.labels ?? []).map((label) => label.trim()).filter((label) => label !== '')),
  ];
  const repository = { owner, repo: name };
  let milestoneNumber: Promise<string | null> | null = null;
  const listReuseMs = settings.listReuseMs ?? 1_000;
  /** Issues from recent intake lists, with the monotonic time their list was fetched. */
  const listedIssues = new Map<number, { issue: GitHubIssueJson; fetchedAt: number }>();

  /** Runs a write; the recent list no longer says how the issues look, before or after it. */
  const writing = async <Value>(what: string, action: () => Promise<Value>): Promise<Value> => {
    listedIssues.clear();
    try {
      return await wrapFailure(what, action);
    } finally {
      listedIssues.clear();
    }
  };

  const wrapFailure = async <Value>(what: string, action: () => Promise<Value>): Promise<Value> => {
    try {
      return await action();
    } catch (error) {
      if (error instanceof InvalidArgumentError || error instanceof TrackerError) throw error;
      throw new TrackerError(`GitHub tracker could not ${what} in ${settings.repository}`, { cause: error });
    }
  };

  /** The milestone filter as GitHub's API wants it: a number, `*` or `none`. */
  const resolveMilestone = (octokit: LoompaOctokitInstance): Promise<string | null> => {
    milestoneNumber ??= (async () => {
      const milestone = settings.milestone?.trim();
      if (!milestone) return null;
      if (/^\d+$/.test(milestone) || milestone === '*' || milestone === 'none') return milestone;
      const milestones = await octokit.paginate('GET /repos/{owner}/{repo}/milestones', {
        ...repository,
        state: 'all',
        per_page: 100,
      });
      const found = milestones.find((candidate) => candidate.title === milestone);
      if (!found)
        throw new InvalidArgumentError(
          `milestone ${JSON.stringify(milestone)} does not exist in ${settings.repository}`,
        );
      return String(found.number);
    })();
    milestoneNumber.catch(() => {
      milestoneNumber = null;
    });
    return milestoneNumber;
  };

  const blockersOf = async (
    octokit: LoompaOctokitInstance,
    issue: GitHubIssueJson,
  ): Promise<IssueReference[]> => {
    if ((issue.issue_dependencies_summary?.total_blocked_by ?? 0) === 0) return [];
    const blockers = await octokit.paginate(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by',
      {
        ...repository,
        issue_number: issue.number,
        per_page: 100,
      },
    );
    return blockers.map((blocker) => ({
      id: String(blocker.number),
      identifier: issueIdentifier(blocker.number),
      state: normalizeGitHubIssue(rules, blocker as GitHubIssueJson).state,
    }));
  };

  const normalize = async (octokit: LoompaOctokitInstance, issue: GitHubIssueJson): Promise<Issue> =>
    normalizeGitHubIssue(rules, issue, await blockersOf(octokit, issue));

  const listByState = async (
    octokit: LoompaOctokitInstance,
    state: 'open' | 'closed',
    abortSignal: AbortSignal | undefined,
  ): Promise<GitHubIssueJson[]> => {
    const milestone = await resolveMilestone(octokit);
    const issues = await octokit.paginate('GET /repos/{owner}/{repo}/issues', {
      ...repository,
      state,
      per_page: 100,
      sort: 'created',
      direction: 'asc',
      ...(intakeLabels.length > 0 ? { labels: intakeLabels.join(',') } : {}),
      ...(settings.assignee ? { assignee: settings.assignee } : {}),
      ...(milestone ? { milestone } : {}),
      ...(abortSignal ? { request: { signal: abortSignal } } : {}),
    });
    // The issues endpoint returns pull requests too; they are not work items here.
    const fetchedAt = performance.now();
    const onlyIssues = (issues as GitHubIssueJson[]).filter((issue) => !issue.pull_request);
    for (const issue of onlyIssues) listedIssues.set(issue.number, { issue, fetchedAt });
    return onlyIssues;
  };

  const readIssue = async (
    octokit: LoompaOctokitInstance,
    number: number,
    abortSignal?: AbortSignal,
  ): Promise<GitHubIssueJson | null> => {
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
        ...repository,
        issue_number: number,
        ...(abortSignal ? { request: { signal: abortSignal } } : {}),
      });
      const issue = data as GitHubIssueJson;
      return issue.pull_request ? null : issue;
    } catch (error) {
      if (isStatus(error, 404, 410)) return null;
      throw error;
    }
  };

  const requireIssue = async (octokit: LoompaOctokitInstance, issueId: string): Promise<GitHubIssueJson> => {
    const issue = await readIssue(octokit, issueNumberOf(issueId));
    if (!issue) throw new TrackerError(`GitHub issue ${issueId} does not exist in ${settings.repository}`);
    return issue;
  };

  const removeLabel = async (octokit: LoompaOctokitInstance, number: number, label: string) => {
    try {
      await octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', {
        ...repository,
        issue_number: number,
        name: label,
      });
    } catch (error) {
      // 404: the label is not on the issue (any more); that is what was wanted.
      if (!isStatus(error, 404)) throw error;
    }
  };

  /** Adds and removes labels, comparing names trimmed and case-insensitively with what the issue has. */
  const changeLabels = async (
    octokit: LoompaOctokitInstance,
    issue: GitHubIssueJson,
    add: readonly string[],
    remove: readonly string[],
  ) => {
    const present = labelNames(issue);
    const removeNames = new Set(remove.map(normalizeName));
    const toRemove = present.filter((label) => removeNames.has(normalizeName(label)));
    const presentNames = new Set(
      present.filter((label) => !removeNames.has(normalizeName(label))).map(normalizeName),
    );
    const toAdd = [...new Map(add.map((label) => [normalizeName(label), label.trim()])).entries()]
      .filter(([normalized]) => normalized !== '' && !presentNames.has(normalized))
      .map(([, label]) => label);
    for (const label of toRemove) await removeLabel(octokit, issue.number, label);
    if (toAdd.length > 0) {
      await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
        ...repository,
        issue_number: issue.number,
        labels: toAdd,
      });
    }
  };

  /** Writes a comment, or edits the earlier one with the same key; resolves with the id of a newly created comment. */
  const upsertComment = async (
    octokit: LoompaOctokitInstance,
    number: number,
    body: string,
    key?: string,
  ): Promise<number | null> => {
    if (!key) {
      const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repository,
        issue_number: number,
        body,
      });
      return Number(data.id);
    }
    const marked = withMarker(body, key);
    const login = normalizeName(await client.login());
    const comments = await octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...repository,
      issue_number: number,
      per_page: 100,
    });
    // Only our own comments count: anyone can paste a marker into theirs.
    const existing = comments
      .filter((comment) => normalizeName(comment.user?.login ?? '') === login && hasMarker(comment.body, key))
      .at(-1);
    if (existing?.body === marked) return null;
    if (existing) {
      await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        ...repository,
        comment_id: existing.id,
        body: marked,
      });
      return null;
    }
    const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...repository,
      issue_number: number,
      body: marked,
    });
    return Number(data.id);
  };

  const tracker: GitHubTracker = {
    specificationVersion: 'tracker-v1',
    name: 'github',
    secretEnvironmentVariables: [...(settings.secretEnvironmentVariables ?? [])],
    client,
    repository: { owner, name },
    fieldRules: rules,

    listIssues({ states, abortSignal }) {
      return wrapFailure('list issues', async () => {
        const wanted = new Set(states.map(normalizeName));
        const placements = states
          .map((state) => placementOfState(rules, state))
          .filter((placement) => placement !== null);
        const octokit = await client.octokit();
        const issues: GitHubIssueJson[] = [];
        if (placements.some((placement) => placement.kind === 'open')) {
          issues.push(...(await listByState(octokit, 'open', abortSignal)));
        }
        if (placements.some((placement) => placement.kind === 'closed')) {
          issues.push(...(await listByState(octokit, 'closed', abortSignal)));
        }
        const matching = issues.filter((issue) =>
          wanted.has(normalizeName(normalizeGitHubIssue(rules, issue).state)),
        );
        return Promise.all(matching.map((issue) => normalize(octokit, issue)));
      });
    },

    getIssues({ ids, abortSignal }) {
      if (ids.length === 0) return Promise.resolve([]);
      return wrapFailure('read issues', async () => {
        const octokit = await client.octokit();
        const numbers = ids
          .map((id) => Number(id.replace(/^#/, '')))
          .filter((number) => Number.isInteger(number) && number > 0);
        const issues = await Promise.all(
          numbers.map((number) => {
            const listed = listedIssues.get(number);
            if (listed && performance.now() - listed.fetchedAt <= listReuseMs) return listed.issue;
            return readIssue(octokit, number, abortSignal);
          }),
        );
        return Promise.all(
          issues
            .filter((issue): issue is GitHubIssueJson => issue !== null)
            .map((issue) => normalize(octokit, issue)),
        );
      });
    },

    transitionIssue({ issueId, state }) {
      return writing(`move issue ${issueId} to ${state}`, async () => {
        const placement = placementOfState(rules, state);
        if (!placement) {
          throw new InvalidArgumentError(
            `GitHub tracker cannot move an issue to state ${JSON.stringify(state)}; known states: ${knownStates(rules).join(', ')}`,
          );
        }
        const octokit = await client.octokit();
        const issue = await requireIssue(octokit, issueId);
        const stateLabels = rules.stateLabels.map(([, label]) => label);
        const addLabel = placement.kind === 'open' && placement.label ? [placement.label] : [];
        const removeLabels = stateLabels.filter(
          (label) => !addLabel.some((added) => normalizeName(added) === normalizeName(label)),
        );
        await changeLabels(octokit, issue, addLabel, removeLabels);
        if (placement.kind === 'open' && issue.state !== 'open') {
          await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
            ...repository,
            issue_number: issue.number,
            state: 'open',
          });
        }
        if (
          placement.kind === 'closed' &&
          (issue.state !== 'closed' || issue.state_reason !== placement.reason)
        ) {
          await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
            ...repository,
            issue_number: issue.number,
            state: 'closed',
            state_reason: placement.reason,
          });
        }
      });
    },

    commentOnIssue({ issueId, body, key }) {
      return writing(`comment on issue ${issueId}`, async () => {
        const octokit = await client.octokit();
        await upsertComment(octokit, issueNumberOf(issueId), body, key);
      });
    },

    updateLabels({ issueId, add = [], remove = [] }) {
      return writing(`change the labels of issue ${issueId}`, async () => {
        const octokit = await client.octokit();
        await changeLabels(octokit, await requireIssue(octokit, issueId), add, remove);
      });
    },

    claimIssue({ issueId, owner: claimant, leaseMs }) {
      return writing(`claim issue ${issueId}`, async () => {
        const octokit = await client.octokit();
        const issue = await requireIssue(octokit, issueId);
        return claimIssueLease({
          octokit,
          repository,
          issueNumber: issue.number,
          assignees: (issue.assignees ?? []).map((assignee) => assignee.login),
          claimant,
          leaseMs,
          now,
          login: await client.login(),
          addLeaseLabel: () => changeLabels(octokit, issue, [rules.leaseLabel], []),
        });
      });
    },

    releaseIssue({ issueId, owner: claimant }) {
      return writing(`release issue ${issueId}`, async () => {
        const octokit = await client.octokit();
        const issue = await requireIssue(octokit, issueId);
        await releaseIssueLease({
          octokit,
          repository,
          issueNumber: issue.number,
          claimant,
          now,
          login: await client.login(),
          removeLeaseLabel: () => removeLabel(octokit, issue.number, rules.leaseLabel),
        });
      });
    },

    createIssue({ issue }: CallOptions & { issue: NewIssue }) {
      return writing('create an issue', async () => {
        const placement = issue.state
          ? placementOfState(rules, issue.state)
          : { kind: 'open' as const, label: null };
        if (!placement) {
          throw new InvalidArgumentError(
            `GitHub tracker cannot create an issue in state ${JSON.stringify(issue.state)}; known states: ${knownStates(rules).join(', ')}`,
          );
        }
        const labels = [...intakeLabels, ...(issue.labels ?? []).map((label) => label.trim())];
        if (issue.priority !== undefined) {
          const label = labelForPriority(rules, issue.priority);
          if (!label)
            throw new InvalidArgumentError(`no priority label is configured for priority ${issue.priority}`);
          labels.push(label);
        }
        if (issue.type) {
          const label = labelForType(rules, issue.type);
          if (label) labels.push(label);
          else
            logger.warn('no label is configured for this issue type; created without it', {
              type: issue.type,
            });
        }
        if (placement.kind === 'open' && placement.label) labels.push(placement.label);
        const octokit = await client.octokit();
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues', {
          ...repository,
          title: issue.title,
          ...(issue.key
            ? { body: withIssueKeyMarker(issue.description, issue.key) }
            : issue.description
              ? { body: issue.description }
              : {}),
          labels: [
            ...new Map(
              labels.filter((label) => label !== '').map((label) => [normalizeName(label), label]),
            ).values(),
          ],
          ...(issue.assignee ? { assignees: [issue.assignee] } : {}),
        });
        let created = data as GitHubIssueJson;
        if (placement.kind === 'closed') {
          const closed = await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
            ...repository,
            issue_number: created.number,
            state: 'closed',
            state_reason: placement.reason,
          });
          created = closed.data as GitHubIssueJson;
        }
        if (issue.blockedBy && issue.blockedBy.length > 0) {
          logger.warn('blockers of new issues are not written to GitHub yet', {
            issue: issueIdentifier(created.number),
          });
        }
        return normalize(octokit, created);
      });
    },

    findIssueByKey({ key, abortSignal }) {
      return wrapFailure('find an issue by key', async () => {
        const octokit = await client.octokit();
        // The issue sought was created moments before a crash: the newest issues hold it.
        for (let page = 1; page <= keySearchPages; page++) {
          const { data } = await octokit.request('GET /repos/{owner}/{repo}/issues', {
            ...repository,
            state: 'all',
            sort: 'created',
            direction: 'desc',
            per_page: 100,
            page,
            ...(abortSignal ? { request: { signal: abortSignal } } : {}),
          });
          const issues = data as GitHubIssueJson[];
          const found = issues.find((issue) => !issue.pull_request && hasIssueKeyMarker(issue.body, key));
          if (found) return normalize(octokit, found);
          if (issues.length < 100) return null;
        }
        return null;
      });
    },
  };

  const webhookSource = settings.webhookReceiver ?? settings.webhook ?? null;
  if (webhookSource) {
    tracker.watch = (options) =>
      watchGitHubIssues({ ...options, webhook: webhookSource, repository: settings.repository, logger });
  }
  return tracker;
}
