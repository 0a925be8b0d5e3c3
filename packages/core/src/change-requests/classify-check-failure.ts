import type { CheckResult } from '../specifications/change-request.js';
import { type FailingTest, failingTestIn, plainLogLines } from './failing-test-in-log.js';

/**
 * Why a check failed, decided before an agent is resumed, so a failure that was never the
 * change's fault (a flaky test, a lost runner) does not burn a fix attempt.
 *
 * - `code`: the log shows a test, compiler or linter failing: the change broke it.
 * - `flaky`: the same check passed on the same commit before (or after a re-run).
 * - `infrastructure`: the runner, network, disk or memory failed, or the job was cancelled or
 *   timed out before any test ran.
 * - `unknown`: nothing above could be read; treated like `code` (the agent looks).
 */
export type CheckFailureClass = 'code' | 'flaky' | 'infrastructure' | 'unknown';

/** One check outcome Loompa saw on a change request, kept in its record. */
export interface CheckObservation {
  checkName: string;
  headSha: string;
  state: 'success' | 'failure';
  /** When it was seen (ms since the epoch). */
  at: number;
}

export interface CheckFailureEvidence {
  check: Pick<CheckResult, 'id' | 'name' | 'conclusion'>;
  headSha: string;
  /** The end of the check's log ('' when the provider has none). */
  logTail: string;
  /** Earlier outcomes on this change request, any order. */
  history: readonly CheckObservation[];
  /** Tests seen failing and then passing on the same commit before, on any change request. */
  knownFlakyTests?: readonly string[];
}

export interface CheckFailureClassification {
  checkId: string;
  checkName: string;
  classification: CheckFailureClass;
  /** One sentence a person (and the agent's prompt) can read. */
  reason: string;
  /** The failing test the log names, when one could be read. */
  failingTest: FailingTest | null;
}

/**
 * Forge conclusions that mean the machinery failed, not the code. GitHub: `startup_failure`,
 * `stale`; GitLab `failure_reason`s other than `script_failure`.
 */
const infrastructureConclusions: ReadonlyMap<string, string> = new Map([
  ['startup_failure', 'the workflow failed to start'],
  ['stale', 'the check went stale before it finished'],
  ['runner_system_failure', 'the runner failed (runner_system_failure)'],
  ['stuck_or_timeout_failure', 'no runner picked the job up in time (stuck_or_timeout_failure)'],
  ['api_failure', 'the CI server failed (api_failure)'],
  ['scheduler_failure', 'the job could not be scheduled (scheduler_failure)'],
  ['data_integrity_failure', 'the CI server lost job data (data_integrity_failure)'],
  ['runner_unsupported', 'the runner cannot run this job (runner_unsupported)'],
  ['unmet_prerequisites', 'the job’s environment could not be prepared (unmet_prerequisites)'],
  ['no_matching_runner', 'no runner matches the job’s tags (no_matching_runner)'],
  ['unknown_failure', 'the CI server reported an unknown system failure'],
]);

/** Conclusions that mean the job was stopped: infrastructure only when no test had run. */
const stoppedConclusions = new Set(['cancelled', 'canceled', 'timed_out', 'job_execution_timeout']);

/** Log lines only a broken machine writes: infrastructure even when tests had failed too. */
const machineFailures: ReadonlyArray<readonly [RegExp, string]> = [
  [/The runner has received a shutdown signal/i, 'the runner was shut down'],
  [/lost communication with the server/i, 'the runner lost communication with the server'],
  [/The (?:self-hosted|hosted) runner: .* (?:lost|is offline)/i, 'the runner was lost'],
  [/Job failed \(system failure\)|runner system failure/i, 'the runner failed'],
  [/No space left on device|ENOSPC|running out of disk space/i, 'the runner ran out of disk space'],
  [/OOMKilled|Out of memory: Kill(?:ed)? process|oom-kill/i, 'the job was killed for using too much memory'],
  [
    /exit code 137\b|signal: killed|Killed\s+signal terminated program/i,
    'the job was killed (exit 137, usually memory)',
  ],
  [
    /Cannot connect to the Docker daemon|failed to create (?:shim|containerd task)/i,
    'the runner’s container engine failed',
  ],
];

/** Network and registry failures: infrastructure unless a test or compiler failure shows too. */
const networkFailures: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /Could not resolve host|Temporary failure in name resolution|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)/i,
    'a host name could not be resolved',
  ],
  [
    /ECONNRESET|connection reset by peer|ETIMEDOUT|ECONNREFUSED|i\/o timeout|TLS handshake timeout/i,
    'a network connection failed',
  ],
  [
    /\b(?:502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out)\b|toomanyrequests|rate limit exceeded/i,
    'a registry or server was unavailable',
  ],
  [
    /ERR_PNPM_META_FETCH_FAIL|npm ERR! network|ERR_SOCKET_TIMEOUT|fatal: unable to access|error pulling image|failed to fetch/i,
    'downloading a dependency failed',
  ],
];

/** A test that ran out of time: the commonest flake (a slow runner, a race); re-run once to tell. */
const testTimeouts: readonly RegExp[] = [
  /Timeout of \d+ ?ms exceeded/i,
  /Exceeded timeout of \d+ ?ms for a (?:test|hook)/i,
  /Test timed out in \d+ ?ms/i,
  /Failed: Timeout >\d/,
];

/** What a broken change prints: failing tests, compiler and linter errors. */
const codeFailures: readonly RegExp[] = [
  /\berror TS\d+:/,
  /\berror\[E\d+\]/,
  /^\s*(?:SyntaxError|TypeError|ReferenceError|AssertionError|AssertionFailedError)\b/m,
  /\bTests?:\s+\d+ failed\b|Test Files\s+\d+ failed|\d+ (?:failed|failing)\b/,
  /test result: FAILED|^FAIL\s|^--- FAIL:|^=+ FAILURES =+|^FAILED\s/m,
  /panicked at/,
  /\b\d+ problems? \(\d+ errors?/,
  /^\s*(?:\S+\.\w+):\d+:\d+:?\s+(?:error|lint\/)/m,
];

function firstMatch(text: string, patterns: ReadonlyArray<readonly [RegExp, string]>): string | null {
  for (const [pattern, reason] of patterns) if (pattern.test(text)) return reason;
  return null;
}

export function classifyCheckFailure(evidence: CheckFailureEvidence): CheckFailureClassification {
  const { check, headSha } = evidence;
  const log = plainLogLines(evidence.logTail).join('\n');
  const failingTest = failingTestIn(evidence.logTail);
  const base = { checkId: check.id, checkName: check.name, failingTest };
  const conclusion = check.conclusion?.toLowerCase() ?? null;

  const machine = firstMatch(log, machineFailures);
  if (machine) return { ...base, classification: 'infrastructure', reason: machine };
  const infrastructureConclusion = conclusion ? infrastructureConclusions.get(conclusion) : undefined;
  if (infrastructureConclusion)
    return { ...base, classification: 'infrastructure', reason: infrastructureConclusion };

  const passedBefore = evidence.history.some(
    (observation) =>
      observation.headSha === headSha &&
      observation.checkName.toLowerCase() === check.name.toLowerCase() &&
      observation.state === 'success',
  );
  if (passedBefore) {
    return {
      ...base,
      classification: 'flaky',
      reason: `"${check.name}" passed on ${headSha.slice(0, 12)} before and fails on the same commit now`,
    };
  }

  if (failingTest && evidence.knownFlakyTests?.includes(failingTest.testName)) {
    return {
      ...base,
      classification: 'flaky',
      reason: `the test "${failingTest.testName}" is known to be flaky (it failed and passed on the same commit before)`,
    };
  }
  if (testTimeouts.some((pattern) => pattern.test(log))) {
    return {
      ...base,
      classification: 'flaky',
      reason: failingTest
        ? `the test "${failingTest.testName}" timed out, which is usually flaky; a re-run tells`
        : 'a test timed out, which is usually flaky; a re-run tells',
    };
  }

  const testsFailed = failingTest !== null || codeFailures.some((pattern) => pattern.test(log));
  if (testsFailed) {
    return {
      ...base,
      classification: 'code',
      reason: failingTest
        ? `the test "${failingTest.testName}" failed`
        : 'the log shows a test, compiler or linter failure',
    };
  }
  const network = firstMatch(log, networkFailures);
  if (network) return { ...base, classification: 'infrastructure', reason: network };
  if (conclusion && stoppedConclusions.has(conclusion)) {
    return {
      ...base,
      classification: 'infrastructure',
      reason: `the job was ${conclusion.replaceAll('_', ' ')} before any test failed`,
    };
  }
  return {
    ...base,
    classification: 'unknown',
    reason: 'the log names no failing test and no infrastructure fault',
  };
}
