/**
 * The first failing test a CI log names, and the error line under it, for the test runners
 * CI logs usually come from (jest, vitest, pytest, go test, cargo test, mocha). Flaky-test
 * records and triage issues are keyed by them, so the same failure is recognised again.
 */
export interface FailingTest {
  /** The test as the runner names it (`suite › case`, `tests/a.py::test_b`, `TestName`). */
  testName: string;
  /** The first line that says what went wrong, when one follows; null otherwise. */
  error: string | null;
}

// GitHub Actions and GitLab prefix lines with timestamps and ANSI colours; both hide the text.
const timestampPrefix = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\s?/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
const ansiEscape = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** Log lines without colours and timestamps. */
export function plainLogLines(log: string): string[] {
  return log
    .replace(ansiEscape, '')
    .split(/\r?\n/)
    .map((line) => line.replace(timestampPrefix, ''));
}

/** Patterns naming a failing test; the first capture group is the test name. */
const testNamePatterns: readonly RegExp[] = [
  // jest: "  ● Suite name › does the thing"
  /^\s*●\s+(.+?\s›\s.+?)\s*$/,
  // vitest: " FAIL  src/a.test.ts > suite > case" (also "× src/a.test.ts > case")
  /^\s*(?:FAIL|×|✗)\s+(\S+\.(?:[cm]?[jt]sx?)\s+>\s+.+?)(?:\s+\d+ms)?\s*$/,
  // pytest: "FAILED tests/test_a.py::test_b - AssertionError: ..."
  /^\s*FAILED\s+(\S+::\S+)/,
  // go test: "--- FAIL: TestName (0.01s)"
  /^\s*--- FAIL:\s+(\S+)/,
  // cargo test: "test module::case ... FAILED"
  /^\s*test\s+(\S+)\s+\.\.\.\s+FAILED\s*$/,
  // mocha: "  1) suite\n       case:" is too loose; its summary line "1) suite case:" is used.
  /^\s*\d+\)\s+(.+?):\s*$/,
  // jest/vitest file-level: "FAIL src/a.test.ts" (no case name could be read)
  /^\s*FAIL\s+(\S+\.(?:[cm]?[jt]sx?))\s*$/,
];

/** Lines that say what went wrong in a failing test. */
const errorLinePattern =
  /\b(?:AssertionError|AssertionFailedError|Error|Exception|expected|Expected|panicked at|assert(?:ion)?\s+failed|assert_eq!|FAIL:|Timeout|timed out)\b/;

export function failingTestIn(log: string): FailingTest | null {
  const lines = plainLogLines(log);
  for (const pattern of testNamePatterns) {
    for (let index = 0; index < lines.length; index += 1) {
      const match = pattern.exec(lines[index]!);
      if (!match) continue;
      const testName = match[1]!.trim();
      // pytest puts the error on the same line after " - ".
      const sameLine = /\s-\s(.+)$/.exec(lines[index]!.trim());
      const following = lines
        .slice(index + 1, index + 30)
        .map((line) => line.trim())
        .find((line) => errorLinePattern.test(line));
      const error = (pattern === testNamePatterns[2] && sameLine ? sameLine[1] : following) ?? null;
      return { testName, error: error ? error.slice(0, 300) : null };
    }
  }
  return null;
}

/**
 * An error line with what changes from run to run (numbers, hex ids, temporary paths,
 * durations) taken out, so two occurrences of the same failure compare equal.
 */
export function normalizeErrorLine(error: string): string {
  return error
    .toLowerCase()
    .replace(/\/tmp\/\S+/g, '<tmp>')
    .replace(/\b[0-9a-f]{7,64}\b/g, '<hex>')
    .replace(/\d+(?:\.\d+)?/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The last lines of a log that mention an error, for an issue or a prompt (bounded). */
export function errorExcerptOf(log: string, maximumLines = 20): string {
  const lines = plainLogLines(log).filter((line) => line.trim() !== '');
  const lastError = lines.findLastIndex((line) => errorLinePattern.test(line));
  const end = lastError === -1 ? lines.length : Math.min(lines.length, lastError + 5);
  return lines.slice(Math.max(0, end - maximumLines), end).join('\n');
}
