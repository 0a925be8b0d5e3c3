import type { ReviewVerdict } from './change-request-record.js';

export interface ReviewAnswerComment {
  path: string | null;
  line: number | null;
  body: string;
}

export interface ReviewAnswer {
  verdict: ReviewVerdict;
  /** The answer's text outside the verdict and the comment list, as a general remark. */
  summary: string;
  comments: ReviewAnswerComment[];
}

const verdictPattern = /^\s*(?:\*\*)?(?:verdict\s*:\s*)?(APPROVED|NEEDS_CHANGES)(?:\*\*)?\s*\.?\s*$/im;
// `- path/to/file.ts:12: text` or `- path/to/file.ts: text`; anything else after a dash is a general comment.
const locatedCommentPattern = /^([^\s:`]+\.[^\s:`]+|[^\s:`]+\/[^\s:`]+):(?:(\d+):)?\s+(.+)$/;

/**
 * Reads a reviewer agent's answer. Two shapes are accepted: a fenced JSON block
 * `{"verdict": "APPROVED" | "NEEDS_CHANGES", "comments": [{"path", "line", "body"}]}`, or
 * plain text with the verdict on a line of its own and one comment per `- ` line, written
 * `- path:line: text`, `- path: text` or `- text`. Returns null when no verdict is found.
 */
export function parseReviewAnswer(text: string): ReviewAnswer | null {
  return parseJsonAnswer(text) ?? parseTextAnswer(text);
}

function parseJsonAnswer(text: string): ReviewAnswer | null {
  for (const match of text.matchAll(/```(?:json)?\s*\n([\s\S]*?)```/g)) {
    let value: unknown;
    try {
      value = JSON.parse(match[1]!);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const candidate = value as { verdict?: unknown; summary?: unknown; comments?: unknown };
    const verdict = toVerdict(candidate.verdict);
    if (!verdict) continue;
    const comments: ReviewAnswerComment[] = [];
    for (const item of Array.isArray(candidate.comments) ? candidate.comments : []) {
      if (typeof item !== 'object' || item === null) continue;
      const entry = item as { path?: unknown; line?: unknown; body?: unknown };
      if (typeof entry.body !== 'string' || entry.body.trim() === '') continue;
      const path = typeof entry.path === 'string' && entry.path.trim() !== '' ? entry.path.trim() : null;
      // A line means nothing without the file it is in.
      const line =
        path !== null && typeof entry.line === 'number' && Number.isInteger(entry.line) && entry.line > 0
          ? entry.line
          : null;
      comments.push({ path, line, body: entry.body.trim() });
    }
    const outside = text.replace(match[0], '').trim();
    const summary = typeof candidate.summary === 'string' ? candidate.summary.trim() : outside;
    return { verdict, summary, comments };
  }
  return null;
}

function parseTextAnswer(text: string): ReviewAnswer | null {
  const verdictMatch = verdictPattern.exec(text);
  if (!verdictMatch) return null;
  const verdict = toVerdict(verdictMatch[1])!;
  const comments: ReviewAnswerComment[] = [];
  const summaryLines: string[] = [];
  for (const line of text.split('\n')) {
    if (verdictPattern.test(line)) continue;
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    if (!bullet) {
      summaryLines.push(line);
      continue;
    }
    const content = bullet[1]!.replace(/`([^`]+)`/, '$1').trim();
    const located = locatedCommentPattern.exec(content);
    if (located) {
      comments.push({
        path: located[1]!,
        line: located[2] === undefined ? null : Number(located[2]),
        body: located[3]!.trim(),
      });
    } else if (content !== '') {
      comments.push({ path: null, line: null, body: content });
    }
  }
  return { verdict, summary: summaryLines.join('\n').trim(), comments };
}

function toVerdict(value: unknown): ReviewVerdict | null {
  if (typeof value !== 'string') return null;
  const normalized = value.trim().toUpperCase();
  if (normalized === 'APPROVED') return 'approved';
  if (normalized === 'NEEDS_CHANGES') return 'changes_requested';
  return null;
}
