// What an idle poll costs on GitHub: 500 open issues, 50 of them labelled for Loompa, ten poll
// cycles in which nothing changes, against the fake GitHub from @loompa/testkit (a real HTTP
// server on 127.0.0.1 that counts requests and primary rate-limit points as GitHub does).
// A cycle is what an orchestrator asks its tracker each tick: the labelled intake list, then a
// refresh of every listed issue (as for running and awaiting items).
// - Loompa: @loompa/tracker-github, every GET conditional, so an unchanged answer is a free 304,
//   and the refresh answered from the list fetched a moment before; also with every issue re-read;
// - naive: the same list and re-reads with a plain Octokit and no ETags, in the same run.
// The first (cold) cycle fills the cache and is reported apart from the ten idle ones.
import { createGitHubClient, LoompaOctokit } from '../packages/github-client/src/index.js';
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
