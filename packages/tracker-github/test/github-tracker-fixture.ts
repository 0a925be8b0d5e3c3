import {
  createGitHubClient,
  createGitHubWebhookReceiver,
  type GitHubWebhookReceiver,
} from '@loompa/github-client';
import { createFakeGitHub, type FakeGitHub, type SeedIssue } from '@loompa/testkit';
import {
  createGitHubTracker,
  type GitHubTracker,
  type GitHubTrackerSettings,
  withoutMarkers,
} from '../src/index.js';

export const repositoryName = 'octo/widgets';

export interface GitHubTrackerTestbed {
  fake: FakeGitHub;
  tracker: GitHubTracker;
  token: string;
  receiver: GitHubWebhookReceiver | null;
  webhookSecret: string;
  /** Creates an issue straight in the fake, as a person on github.com would. */
  seed(issue: SeedIssue & { assignees?: string[]; blockedBy?: number[] }): number;
  comments(issueNumber: number): string[];
  close(): Promise<void>;
}

/**
 * A GitHub tracker on a fresh fake GitHub. Writes are not spaced (GitHub's 1 s and 3 s
 * spacing would only slow the tests); everything else is the production configuration.
 */
export async function startGitHubTracker(
  options: { webhooks?: boolean; tracker?: Partial<GitHubTrackerSettings> } = {},
): Promise<GitHubTrackerTestbed> {
  const fake = await createFakeGitHub({ repositories: [repositoryName] });
  const token = fake.createToken('loompa-bot');
  const webhookSecret = 'fake-webhook-secret-value';
  const receiver = options.webhooks ? await createGitHubWebhookReceiver({ secret: webhookSecret }) : null;
  if (receiver) fake.addWebhook({ url: receiver.url, secret: webhookSecret });
  const client = createGitHubClient({
    baseUrl: fake.url,
    credentials: { kind: 'token', token },
    repository: { owner: 'octo', name: 'widgets' },
    retryBaseDelayMs: 20,
    writeSpacing: { minimumWriteIntervalMs: 0, minimumContentCreationIntervalMs: 0 },
  });
  const tracker = createGitHubTracker({
    client,
    repository: repositoryName,
    webhookReceiver: receiver,
    ...options.tracker,
  });
  return {
    fake,
    tracker,
    token,
    receiver,
    webhookSecret,
    seed(issue) {
      const rules = tracker.fieldRules;
      const state = issue.state.trim().toLowerCase();
      const labels = [...(issue.labels ?? [])];
      const stateLabel = rules.stateLabels.find(([labelState]) => labelState.toLowerCase() === state)?.[1];
      if (stateLabel) labels.push(stateLabel);
      if (issue.priority !== undefined) {
        const priorityLabel = rules.priorityLabels.find(([, priority]) => priority === issue.priority)?.[0];
        if (priorityLabel) labels.push(priorityLabel);
      }
      const closed =
        state === rules.closedState.toLowerCase() || state === rules.notPlannedState.toLowerCase();
      return fake.seedIssue(repositoryName, {
        title: issue.title,
        body: issue.description ?? null,
        labels,
        assignees: issue.assignees ?? [],
        blockedBy: issue.blockedBy ?? [],
        state: closed ? 'closed' : 'open',
        stateReason:
          state === rules.notPlannedState.toLowerCase() ? 'not_planned' : closed ? 'completed' : null,
      }).number;
    },
    comments(issueNumber) {
      return fake.model
        .commentsOf(fake.repository(repositoryName), issueNumber)
        .map((comment) => withoutMarkers(comment.body));
    },
    async close() {
      await receiver?.close();
      await fake.close();
    },
  };
}
