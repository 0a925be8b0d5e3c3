/**
 * GitHub Actions logs prefix every line with an ISO timestamp and carry terminal colours and
 * `##[group]` markers; the agent reads plain text. The tail is cut at a byte budget without
 * splitting a UTF-8 character.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched.
const ansiPattern = /\x1b\[[0-9;?]*[A-Za-z]/g;
const timestampPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/gm;
const groupPattern = /^##\[(?:group|endgroup)\]/gm;

export function plainActionsLog(log: string): string {
  return log
    .replace(/\r\n/g, '\n')
    .replace(timestampPattern, '')
    .replace(groupPattern, '')
    .replace(ansiPattern, '');
}
