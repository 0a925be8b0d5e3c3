import { describe, expect, it } from 'vitest';
import { parseReviewAnswer } from '../src/index.js';

describe('parseReviewAnswer', () => {
  it('reads a verdict line with located, file-level and general comments', () => {
    expect(
      parseReviewAnswer(
        'I read the diff.\n\n**NEEDS_CHANGES**\n- src/a.ts:12: rename this\n* `docs/b.md`: typo\n- overall too long\n',
      ),
    ).toEqual({
      verdict: 'changes_requested',
      summary: 'I read the diff.',
      comments: [
        { path: 'src/a.ts', line: 12, body: 'rename this' },
        { path: 'docs/b.md', line: null, body: 'typo' },
        { path: null, line: null, body: 'overall too long' },
      ],
    });
    expect(parseReviewAnswer('Verdict: APPROVED')).toEqual({
      verdict: 'approved',
      summary: '',
      comments: [],
    });
  });

  it('reads a fenced JSON answer and ignores malformed comments', () => {
    const answer = parseReviewAnswer(
      'Here is my review:\n```json\n{"verdict": "NEEDS_CHANGES", "comments": [{"path": "x.ts", "line": 3, "body": "fix"}, {"body": ""}, {"line": 2, "body": "general"}]}\n```',
    );
    expect(answer).toEqual({
      verdict: 'changes_requested',
      summary: 'Here is my review:',
      comments: [
        { path: 'x.ts', line: 3, body: 'fix' },
        { path: null, line: null, body: 'general' },
      ],
    });
  });

  it('finds no verdict in prose that only mentions the words', () => {
    expect(parseReviewAnswer('I would say this is APPROVED once tests pass')).toBeNull();
    expect(parseReviewAnswer('')).toBeNull();
    expect(parseReviewAnswer('```json\n{"verdict": "maybe"}\n```')).toBeNull();
  });
});
