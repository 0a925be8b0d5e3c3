/**
 * GitLab job logs carry terminal colours and collapsible-section markers
 * (`section_start:<time>:<name>\r\x1b[0K`); the agent reads plain text (the tail is cut by
 * core's `tailBytes`).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched.
const ansiPattern = /\x1b\[[0-9;?]*[A-Za-z]/g;
const sectionPattern = /section_(start|end):\d+:[^\r\n]*\r?/g;

export function plainJobLog(log: string): string {
  return log.replace(sectionPattern, '').replace(ansiPattern, '').replace(/\r\n/g, '\n');
}
