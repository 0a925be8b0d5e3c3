/** GitHub's closing keywords followed by an issue of the same repository: `Closes #12`, `fixes #3`, `Resolves #7`. */
const closingKeywordPattern = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#(\d+)\b/gi;

/** The issue numbers a pull request body closes, each once, in order. */
export function closingReferences(body: string): number[] {
  return [...new Set([...body.matchAll(closingKeywordPattern)].map((match) => Number(match[1])))];
}
