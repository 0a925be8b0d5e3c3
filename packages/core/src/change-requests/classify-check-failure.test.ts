import { describe, expect, it } from 'vitest';
import {
  type CheckFailureClass,
  type CheckObservation,
  classifyCheckFailure,
} from './classify-check-failure.js';
import { errorExcerptOf, failingTestIn, normalizeErrorLine } from './failing-test-in-log.js';

const head = 'a'.repeat(40);

/** Log tails shaped like the ones GitHub Actions and GitLab runners really print. */
const logTails: ReadonlyArray<{
  name: string;
  log: string;
  conclusion?: string;
  expected: CheckFailureClass;
  testName?: string;
}> = [
  {
    name: 'jest assertion (GitHub Actions, timestamps and colours)',
    log: [
      '2026-11-29T10:01:02.1234567Z \u001b[1m\u001b[31m  ● \u001b[22mcart › adds an item\u001b[39m',
      '2026-11-29T10:01:02.1234567Z ',
      '2026-11-29T10:01:02.1234567Z     expect(received).toBe(expected) // Object.is equality',
      '2026-11-29T10:01:02.1234567Z     Expected: 3',
      '2026-11-29T10:01:02.1234567Z     Received: 2',
      '2026-11-29T10:01:03.0000000Z Tests:       1 failed, 41 passed, 42 total',
      '2026-11-29T10:01:03.5000000Z ##[error]Process completed with exit code 1.',
    ].join('\n'),
    expected: 'code',
    testName: 'cart › adds an item',
  },
  {
    name: 'vitest failure',
    log: [
      ' FAIL  src/parse.test.ts > parse > rejects an empty string',
      'AssertionError: expected [Function] to throw an error',
      ' ❯ src/parse.test.ts:12:5',
      ' Test Files  1 failed | 9 passed (10)',
      '      Tests  1 failed | 120 passed (121)',
    ].join('\n'),
    expected: 'code',
    testName: 'src/parse.test.ts > parse > rejects an empty string',
  },
  {
    name: 'pytest failure',
    log: [
      '=================================== FAILURES ===================================',
      '_________________________________ test_total __________________________________',
      '>       assert total([1, 2]) == 4',
      'E       assert 3 == 4',
      '=========================== short test summary info ============================',
      'FAILED tests/test_cart.py::test_total - assert 3 == 4',
      '========================= 1 failed, 12 passed in 0.42s =========================',
    ].join('\n'),
    expected: 'code',
    testName: 'tests/test_cart.py::test_total',
  },
  {
    name: 'go test failure',
    log: [
      '=== RUN   TestParse',
      '    parse_test.go:14: Parse("") = nil, want error',
      '--- FAIL: TestParse (0.00s)',
      'FAIL',
      'FAIL\texample.com/parse\t0.004s',
    ].join('\n'),
    expected: 'code',
    testName: 'TestParse',
  },
  {
    name: 'cargo test failure',
    log: [
      'running 3 tests',
      'test parser::tests::empty_input ... FAILED',
      'test parser::tests::simple ... ok',
      "thread 'parser::tests::empty_input' panicked at src/parser.rs:40:9:",
      'assertion `left == right` failed',
      'test result: FAILED. 2 passed; 1 failed; 0 ignored',
    ].join('\n'),
    expected: 'code',
    testName: 'parser::tests::empty_input',
  },
  {
    name: 'TypeScript compile error',
    log: "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n ELIFECYCLE  Command failed with exit code 2.",
    expected: 'code',
  },
  {
    name: 'GitHub runner lost',
    log: [
      '2026-11-29T10:01:02Z Run pnpm test',
      '##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.',
      '##[error]The operation was canceled.',
    ].join('\n'),
    expected: 'infrastructure',
  },
  {
    name: 'GitHub hosted runner lost communication',
    log: 'The hosted runner: GitHub Actions 12 lost communication with the server. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error.',
    expected: 'infrastructure',
  },
  {
    name: 'GitLab runner system failure',
    log: [
      'Running with gitlab-runner 17.5.0 (abc1234)',
      '  on docker-runner-3 xyz, system ID: s_0123',
      'ERROR: Job failed (system failure): Error response from daemon: container create failed',
    ].join('\n'),
    expected: 'infrastructure',
  },
  {
    name: 'out of disk while tests were running',
    log: [
      ' FAIL  src/cache.test.ts > cache > writes',
      "Error: ENOSPC: no space left on device, write '/tmp/cache-81/entry'",
    ].join('\n'),
    expected: 'infrastructure',
    testName: 'src/cache.test.ts > cache > writes',
  },
  {
    name: 'OOM killed',
    log: 'Running tests...\n##[error]Process completed with exit code 137.',
    expected: 'infrastructure',
  },
  {
    name: 'dependency download failed',
    log: [
      ' ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/vitest: request to https://registry.npmjs.org/vitest failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org',
      '##[error]Process completed with exit code 1.',
    ].join('\n'),
    expected: 'infrastructure',
  },
  {
    name: 'docker registry rate limit (GitLab)',
    log: 'ERROR: Job failed: failed to pull image "node:24" with specified policies [always]: toomanyrequests: You have reached your pull rate limit.',
    expected: 'infrastructure',
  },
  {
    name: 'a test that fails on a refused connection is the code’s failure',
    log: [
      '--- FAIL: TestClientConnects (0.01s)',
      '    client_test.go:20: dial tcp 127.0.0.1:8080: connect: ECONNREFUSED',
    ].join('\n'),
    expected: 'code',
    testName: 'TestClientConnects',
  },
  {
    name: 'cancelled while installing',
    log: 'Run pnpm install --frozen-lockfile\nProgress: resolved 120, reused 100, downloaded 0\n##[error]The operation was canceled.',
    conclusion: 'cancelled',
    expected: 'infrastructure',
  },
  {
    name: 'timed out after a test failed is the code’s failure',
    log: '--- FAIL: TestHangs (600.00s)\n    panic: test timed out after 10m0s',
    conclusion: 'timed_out',
    expected: 'code',
  },
  {
    name: 'GitLab stuck job (conclusion only)',
    log: '',
    conclusion: 'stuck_or_timeout_failure',
    expected: 'infrastructure',
  },
  {
    name: 'GitLab script_failure with a vitest assertion',
    log: [
      '\u001b[0KRunning with gitlab-runner 17.5.0 (abc1234)\u001b[0;m',
      'section_start:1732845600:step_script\r\u001b[0K\u001b[0K\u001b[36;1mExecuting "step_script" stage of the job script\u001b[0;m',
      '\u001b[32;1m$ pnpm test\u001b[0;m',
      ' FAIL  src/price.test.ts > price > rounds half up',
      'AssertionError: expected 1.24 to be 1.25',
      'section_end:1732845660:step_script\r\u001b[0K',
      '\u001b[31;1mERROR: Job failed: exit code 1\u001b[0;m',
    ].join('\n'),
    conclusion: 'script_failure',
    expected: 'code',
    testName: 'src/price.test.ts > price > rounds half up',
  },
  {
    name: 'GitLab runner_system_failure in the middle of the tests',
    log: ['$ pnpm test', ' RUN  v4.1.12 /builds/acme/shop', ' ✓ src/cart.test.ts (12 tests) 40ms'].join('\n'),
    conclusion: 'runner_system_failure',
    expected: 'infrastructure',
  },
  {
    name: 'GitLab job_execution_timeout while installing',
    log: '$ pnpm install --frozen-lockfile\nProgress: resolved 1200, reused 1100, downloaded 3\nERROR: Job failed: execution took longer than 1h0m0s seconds',
    conclusion: 'job_execution_timeout',
    expected: 'infrastructure',
  },
  {
    name: 'GitLab job_execution_timeout after a test failed is the code’s failure',
    log: ' FAIL  src/sync.test.ts > sync > settles\nAssertionError: expected false to be true\nERROR: Job failed: execution took longer than 1h0m0s seconds',
    conclusion: 'job_execution_timeout',
    expected: 'code',
    testName: 'src/sync.test.ts > sync > settles',
  },
  {
    name: 'GitLab job canceled before any test (GitLab spells it canceled)',
    log: '$ pnpm install\nERROR: Job failed: canceled',
    conclusion: 'canceled',
    expected: 'infrastructure',
  },
  ...[
    'scheduler_failure',
    'api_failure',
    'data_integrity_failure',
    'unmet_prerequisites',
    'no_matching_runner',
  ].map((reason) => ({
    name: `GitLab ${reason} (conclusion only)`,
    log: '',
    conclusion: reason,
    expected: 'infrastructure' as const,
  })),
  {
    name: 'GitLab script_failure without saying why',
    log: '$ ./scripts/check.sh\nERROR: Job failed: exit code 1',
    conclusion: 'script_failure',
    expected: 'unknown',
  },
  {
    name: 'a jest test timing out is flaky until a re-run says otherwise',
    log: [
      '  ● upload › retries on a slow server',
      '',
      '    thrown: "Exceeded timeout of 5000 ms for a test.',
      '    Add a timeout value to this test to increase the timeout, if this is a long-running test."',
      'Tests:       1 failed, 30 passed, 31 total',
    ].join('\n'),
    expected: 'flaky',
    testName: 'upload › retries on a slow server',
  },
  {
    name: 'a mocha timeout',
    log: '  1) api retries:\n     Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure "done()" is called',
    expected: 'flaky',
  },
  {
    name: 'a script that exits 1 without saying why',
    log: 'Run ./scripts/check.sh\n##[error]Process completed with exit code 1.',
    expected: 'unknown',
  },
];

describe('classifyCheckFailure on real-looking log tails', () => {
  it.each(logTails)('$name → $expected', ({ log, conclusion, expected, testName }) => {
    const result = classifyCheckFailure({
      check: { id: 'check-1', name: 'test', conclusion: conclusion ?? null },
      headSha: head,
      logTail: log,
      history: [],
    });
    expect(result.classification).toBe(expected);
    expect(result.reason.length).toBeGreaterThan(0);
    if (testName) expect(result.failingTest?.testName).toBe(testName);
  });
});

describe('classifyCheckFailure from the check history', () => {
  const assertion = ' FAIL  src/a.test.ts > a > works\nAssertionError: expected 1 to be 2';
  const observation = (overrides: Partial<CheckObservation>): CheckObservation => ({
    checkName: 'Test',
    headSha: head,
    state: 'success',
    at: 1,
    ...overrides,
  });

  it('a check that passed on the same commit before is flaky, even with a failing test in its log', () => {
    const result = classifyCheckFailure({
      check: { id: 'c', name: 'test' },
      headSha: head,
      logTail: assertion,
      history: [observation({})],
    });
    expect(result).toMatchObject({
      classification: 'flaky',
      failingTest: { testName: 'src/a.test.ts > a > works' },
    });
  });

  it('a test known to be flaky from another change request is flaky', () => {
    const result = classifyCheckFailure({
      check: { id: 'c', name: 'test' },
      headSha: head,
      logTail: assertion,
      history: [],
      knownFlakyTests: ['src/a.test.ts > a > works'],
    });
    expect(result.classification).toBe('flaky');
  });

  it('a pass on another commit, or of another check, says nothing', () => {
    const result = classifyCheckFailure({
      check: { id: 'c', name: 'test' },
      headSha: head,
      logTail: assertion,
      history: [
        observation({ headSha: 'b'.repeat(40) }),
        observation({ checkName: 'lint' }),
        observation({ state: 'failure' }),
      ],
    });
    expect(result.classification).toBe('code');
  });

  it('a lost runner stays infrastructure although the check passed before', () => {
    const result = classifyCheckFailure({
      check: { id: 'c', name: 'test' },
      headSha: head,
      logTail: 'The runner has received a shutdown signal.',
      history: [observation({})],
    });
    expect(result.classification).toBe('infrastructure');
  });
});

describe('failing-test helpers', () => {
  it('reads the error under a jest failure and normalizes what changes between runs', () => {
    const log =
      '  ● api › retries\n\n    Error: timeout of 5000ms exceeded at /tmp/run-1234/a.js (id 9f8e7d6c5b)';
    expect(failingTestIn(log)).toEqual({
      testName: 'api › retries',
      error: 'Error: timeout of 5000ms exceeded at /tmp/run-1234/a.js (id 9f8e7d6c5b)',
    });
    expect(
      normalizeErrorLine('Error: timeout of 5000ms exceeded at /tmp/run-1234/a.js (id 9f8e7d6c5b)'),
    ).toBe(normalizeErrorLine('Error: timeout of 7000ms exceeded at /tmp/run-99/a.js (id 0123abcd99)'));
  });

  it('a log without a test runner names no test; the excerpt ends at the last error', () => {
    expect(failingTestIn('make: *** [all] Error 2')).toBeNull();
    const excerpt = errorExcerptOf(
      ['line 1', 'Error: boom', 'line 3', ...Array.from({ length: 50 }, (_, i) => `tail ${i}`)].join('\n'),
    );
    expect(excerpt.split('\n')[0]).toBe('line 1');
    expect(excerpt).toContain('Error: boom');
    expect(excerpt).not.toContain('tail 10');
  });
});
