// What an idle poll costs on GitHub: 500 open issues, 50 of them labelled for Loompa, ten poll
// cycles in which nothing changes, against the fake GitHub from @loompa/testkit (a real HTTP
// server on 127.0.0.1 that counts requests and primary rate-limit points as GitHub does).
// A cycle is what an orchestrator asks its tracker each tick: the labelled intake list, then a
// refresh of every listed issue (as for running and awaiting items).
// - Loompa: @loompa/tracker-github, every GET conditional, so an unchanged answer is a free 304,
//   and the refresh answered from the list fetched a moment before; also with every issue re-read;
// - naive: the same list and re-reads with a plain Octokit and no ETags, in the same run.
// The first (cold) cycle fills the cache and is reported apart from the ten idle ones.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../packages/core/src/index.js';
import {
  createGitHubClient,
  createGitHubWebhookReceiver,
  LoompaOctokit,
} from '../packages/github-client/src/index.js';
import { createGitHubScm } from '../packages/scm-github/src/index.js';
import { createFakeGitHub, type FakeGitHub } from '../packages/testkit/src/index.js';
import { createGitHubTracker } from '../packages/tracker-github/src/index.js';

const openIssues = 500;
const labelledIssues = 50;
const idleCycles = 10;
const label = 'loompa';

interface CycleCost {
  requests: number;
  points: number;
}

async function measureCycle(fake: FakeGitHub, cycle: () => Promise<unknown>): Promise<CycleCost> {
  const requestsBefore = fake.requests.length;
  const pointsBefore = fake.rateLimitCost;
  await cycle();
  return { requests: fake.requests.length - requestsBefore, points: fake.rateLimitCost - pointsBefore };
}

async function run(name: string, cycle: (fake: FakeGitHub, token: string) => () => Promise<unknown>) {
  const fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
  try {
    const token = fake.createToken('loompa-bot');
    for (let index = 0; index < openIssues; index++) {
      fake.seedIssue('octo/widgets', {
        title: `Issue ${index + 1}`,
        body: `Description of issue ${index + 1}.`,
        labels: index % (openIssues / labelledIssues) === 0 ? [label, 'bug'] : ['bug'],
      });
    }
    const oneCycle = cycle(fake, token);
    const cold = await measureCycle(fake, oneCycle);
    const idle: CycleCost[] = [];
    for (let index = 0; index < idleCycles; index++) idle.push(await measureCycle(fake, oneCycle));
    const average = (pick: (cost: CycleCost) => number) =>
      idle.reduce((sum, cost) => sum + pick(cost), 0) / idle.length;
    return { name, cold, requests: average((cost) => cost.requests), points: average((cost) => cost.points) };
  } finally {
    await fake.close();
  }
}

function loompaCycle(listReuseMs: number) {
  return (fake: FakeGitHub, token: string) => {
    const tracker = createGitHubTracker({
      client: createGitHubClient({ baseUrl: fake.url, credentials: { kind: 'token', token } }),
      repository: 'octo/widgets',
      labels: [label],
      listReuseMs,
    });
    return async () => {
      const listed = await tracker.listIssues({ states: ['todo', 'in progress'] });
      if (listed.length !== labelledIssues)
        throw new Error(`listed ${listed.length} issues, expected ${labelledIssues}`);
      await tracker.getIssues({ ids: listed.map((issue) => issue.id) });
    };
  };
}

const loompa = await run('loompa (tracker-github: ETags, refresh from the fresh list)', loompaCycle(1_000));
// The refresh alone, as when it does not follow a list: one conditional GET per issue.
const loompaRereads = await run('loompa, every issue re-read (listReuseMs: 0)', loompaCycle(0));

const naive = await run('naive poller (no ETags)', (fake, token) => {
  const octokit = new LoompaOctokit({
    baseUrl: fake.url,
    auth: token,
    throttle: { enabled: false },
    retry: { enabled: false },
  });
  const repository = { owner: 'octo', repo: 'widgets' };
  return async () => {
    const listed = await octokit.paginate('GET /repos/{owner}/{repo}/issues', {
      ...repository,
      state: 'open',
      labels: label,
      per_page: 100,
    });
    await Promise.all(
      listed.map((issue) =>
        octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
          ...repository,
          issue_number: issue.number,
        }),
      ),
    );
  };
});

const rows = [loompa, loompaRereads, naive];
process.stdout.write(
  `GitHub idle poll: ${openIssues} open issues, ${labelledIssues} labelled, ${idleCycles} idle cycles (list + refresh of the labelled issues)\n\n`,
);
process.stdout.write(
  '| poller | cold cycle requests | cold cycle points | requests per idle cycle | points per idle cycle |\n',
);
process.stdout.write('| --- | --- | --- | --- | --- |\n');
for (const row of rows) {
  process.stdout.write(
    `| ${row.name} | ${row.cold.requests} | ${row.cold.points} | ${row.requests} | ${row.points} |\n`,
  );
}
const pointsRatio = loompa.points === 0 ? 'all of them' : `${(naive.points / loompa.points).toFixed(1)}×`;
process.stdout.write(
  `\nPer idle cycle Loompa spends ${loompa.points} primary rate-limit points against the naive poller's ${naive.points} (saves ${pointsRatio}); requests: ${loompa.requests} vs ${naive.requests} (${(loompa.requests / naive.requests).toFixed(2)}× the naive count, every one a 304).\n`,
);

// ---------------------------------------------------------------------------------------------
// Pull requests: 50 open pull requests Loompa owns, all waiting on a review (checks passed,
// branch protection asks for one approval), ten idle status cycles in which nothing changes.
// - Loompa: @loompa/scm-github `getStatus` per pull request (conditional reads of the pull
//   request, its check runs, commit statuses, reviews and review comments; the GraphQL review
//   query only when one of them changed);
// - naive: per pull request, the REST reads a poller needs (pull request, reviews, review
//   comments, check runs, combined status) with a plain Octokit and no ETags, in the same run.
// Then: a reviewer's comment delivered by webhook → `watch` ticks the branch → the status read
// that resumes the agent sees the comment, in milliseconds, against the polling interval.

const openPullRequests = 50;
const pullRequestRepository = 'octo/gadgets';

async function pullRequestFake() {
  const fake = await createFakeGitHub({
    repositories: [pullRequestRepository],
    contentCreationLimits: { perMinute: 10_000, perHour: 100_000 },
    actions: async () => ({ jobs: [{ name: 'unit-tests', conclusion: 'success', log: 'all passed\n' }] }),
  });
  fake.setRequiredApprovals(pullRequestRepository, 1);
  const token = fake.createToken('loompa-bot');
  fake.createToken('reviewer');
  const workingCopy = await mkdtemp(path.join(os.tmpdir(), 'bench-github-prs-'));
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  const env = {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_AUTHOR_NAME: 'Loompa',
    GIT_AUTHOR_EMAIL: 'loompa@localhost',
    GIT_COMMITTER_NAME: 'Loompa',
    GIT_COMMITTER_EMAIL: 'loompa@localhost',
  };
  const git = (args: string[]) => runGit(args, { cwd: workingCopy, env });
  await runGit(['init', '--quiet', '--initial-branch=main', workingCopy], { cwd: os.tmpdir() });
  await writeFile(path.join(workingCopy, 'README.md'), '# Gadgets\n');
  await git(['add', '--all']);
  await git(['commit', '--quiet', '-m', 'Initial commit']);
  const refspecs = ['HEAD:refs/heads/main'];
  for (let index = 1; index <= openPullRequests; index++) {
    await git(['checkout', '--quiet', '-B', `loompa/${index}`, 'main']);
    await writeFile(path.join(workingCopy, `change-${index}.txt`), `change ${index}\n`);
    await git(['add', '--all']);
    await git(['commit', '--quiet', '-m', `Change ${index}`]);
    refspecs.push(`loompa/${index}:refs/heads/loompa/${index}`);
  }
  await git(['checkout', '--quiet', 'main']);
  await git(['push', '--quiet', fake.gitUrl(pullRequestRepository), ...refspecs]);
  const client = () =>
    createGitHubClient({
      baseUrl: fake.url,
      credentials: { kind: 'token', token },
      writeSpacing: { minimumWriteIntervalMs: 0, minimumContentCreationIntervalMs: 0 },
    });
  const opener = createGitHubScm({ client: client(), repository: pullRequestRepository });
  const changeRequests = [];
  for (let index = 1; index <= openPullRequests; index++) {
    changeRequests.push(
      await opener.openChangeRequest({
        branch: `loompa/${index}`,
        baseBranch: 'main',
        title: `Change ${index}`,
        body: `Resolves #${index}.`,
      }),
    );
  }
  await fake.settle();
  return {
    fake,
    token,
    client,
    changeRequests,
    cleanup: () => rm(workingCopy, { recursive: true, force: true }),
  };
}

interface PullRequestCycleCost extends CycleCost {
  graphqlPoints: number;
}

async function measurePullRequestCycle(
  fake: FakeGitHub,
  cycle: () => Promise<unknown>,
): Promise<PullRequestCycleCost> {
  const before = fake.requests.length;
  await cycle();
  const seen = fake.requests.slice(before);
  return {
    requests: seen.length,
    points: seen
      .filter((request) => request.operationId !== 'graphql')
      .reduce((sum, request) => sum + request.cost, 0),
    graphqlPoints: seen
      .filter((request) => request.operationId === 'graphql')
      .reduce((sum, request) => sum + request.cost, 0),
  };
}

async function runPullRequestPoller(
  name: string,
  makeCycle: (setup: Awaited<ReturnType<typeof pullRequestFake>>) => () => Promise<unknown>,
) {
  const setup = await pullRequestFake();
  try {
    const cycle = makeCycle(setup);
    const cold = await measurePullRequestCycle(setup.fake, cycle);
    const idle: PullRequestCycleCost[] = [];
    for (let index = 0; index < idleCycles; index++)
      idle.push(await measurePullRequestCycle(setup.fake, cycle));
    const average = (pick: (cost: PullRequestCycleCost) => number) =>
      idle.reduce((sum, cost) => sum + pick(cost), 0) / idle.length;
    return {
      name,
      cold,
      requests: average((cost) => cost.requests),
      points: average((cost) => cost.points),
      graphqlPoints: average((cost) => cost.graphqlPoints),
    };
  } finally {
    await setup.fake.close();
    await setup.cleanup();
  }
}

const loompaPullRequests = await runPullRequestPoller('loompa (scm-github getStatus)', (setup) => {
  const provider = createGitHubScm({ client: setup.client(), repository: pullRequestRepository });
  return async () => {
    const statuses = await Promise.all(
      setup.changeRequests.map((changeRequest) => provider.getStatus({ changeRequest })),
    );
    if (
      statuses.some(
        (status) => status.mergeability !== 'blocked' || status.continuousIntegration.state !== 'success',
      )
    ) {
      throw new Error('every pull request should wait on a review with passing checks');
    }
  };
});

const naivePullRequests = await runPullRequestPoller(
  'naive per-pull-request REST poller (no ETags)',
  (setup) => {
    const octokit = new LoompaOctokit({
      baseUrl: setup.fake.url,
      auth: setup.token,
      throttle: { enabled: false },
      retry: { enabled: false },
    });
    const repository = { owner: 'octo', repo: 'gadgets' };
    return async () => {
      await Promise.all(
        setup.changeRequests.map(async (changeRequest) => {
          const pull_number = Number(changeRequest.id);
          const { data: pull } = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
            ...repository,
            pull_number,
          });
          await Promise.all([
            octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
              ...repository,
              pull_number,
            }),
            octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/comments', {
              ...repository,
              pull_number,
            }),
            octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
              ...repository,
              ref: pull.head.sha,
            }),
            octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
              ...repository,
              ref: pull.head.sha,
            }),
          ]);
        }),
      );
    };
  },
);

process.stdout.write(
  `\nGitHub pull requests waiting on review: ${openPullRequests} open pull requests, ${idleCycles} idle status cycles\n\n`,
);
process.stdout.write(
  '| poller | cold cycle requests | cold cycle REST points | cold cycle GraphQL points | requests per idle cycle | REST points per idle cycle | GraphQL points per idle cycle |\n',
);
process.stdout.write('| --- | --- | --- | --- | --- | --- | --- |\n');
for (const row of [loompaPullRequests, naivePullRequests]) {
  process.stdout.write(
    `| ${row.name} | ${row.cold.requests} | ${row.cold.points} | ${row.cold.graphqlPoints} | ${row.requests} | ${row.points} | ${row.graphqlPoints} |\n`,
  );
}
process.stdout.write(
  `\nPer idle cycle Loompa spends ${loompaPullRequests.points + loompaPullRequests.graphqlPoints} rate-limit points on ${openPullRequests} pull requests against the naive poller's ${naivePullRequests.points}; requests: ${loompaPullRequests.requests} vs ${naivePullRequests.requests}, every one of Loompa's a free 304.\n`,
);

// Webhook delivery → the change seen by the status read that resumes the agent.
const latencySetup = await pullRequestFake();
try {
  const webhookSecret = 'bench-webhook-secret';
  const receiver = await createGitHubWebhookReceiver({ secret: webhookSecret });
  latencySetup.fake.addWebhook({
    url: receiver.url,
    secret: webhookSecret,
    events: ['pull_request_review_comment'],
  });
  const provider = createGitHubScm({
    client: latencySetup.client(),
    repository: pullRequestRepository,
    webhookReceiver: receiver,
  });
  const controller = new AbortController();
  const waiting = new Map<string, () => void>();
  provider.watch!({
    abortSignal: controller.signal,
    onChange: (change) => waiting.get(change.branch ?? '')?.(),
  });
  for (const changeRequest of latencySetup.changeRequests) await provider.getStatus({ changeRequest });
  const latencies: number[] = [];
  for (const changeRequest of latencySetup.changeRequests.slice(0, 20)) {
    const ticked = new Promise<void>((resolve) => waiting.set(changeRequest.branch, resolve));
    const started = performance.now();
    latencySetup.fake.addReviewComment(pullRequestRepository, Number(changeRequest.id), {
      author: 'reviewer',
      body: 'Please rename this',
      path: 'README.md',
      line: 1,
    });
    await ticked;
    const status = await provider.getStatus({ changeRequest });
    if (
      !status.review.threads.some((thread) =>
        thread.comments.some((comment) => comment.body === 'Please rename this'),
      )
    ) {
      throw new Error('the status read after the webhook did not see the comment');
    }
    latencies.push(performance.now() - started);
  }
  controller.abort();
  await receiver.close();
  latencies.sort((left, right) => left - right);
  const median = latencies[Math.floor(latencies.length / 2)]!;
  const pollingIntervalMs = 30_000;
  process.stdout.write(
    `\nReview comment → webhook → branch ticked → status read sees it: median ${median.toFixed(1)} ms, slowest ${latencies.at(-1)!.toFixed(1)} ms over ${latencies.length} deliveries, against polling.interval_ms ${pollingIntervalMs} (an average wait of ${pollingIntervalMs / 2} ms without webhooks: ${(pollingIntervalMs / 2 / median).toFixed(0)}× sooner).\n`,
  );
} finally {
  await latencySetup.fake.close();
  await latencySetup.cleanup();
}
