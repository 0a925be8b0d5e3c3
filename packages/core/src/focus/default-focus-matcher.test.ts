import { createTestIssue } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import type { Focus } from '../specifications/focus.js';
import type { Issue } from '../specifications/issue.js';
import { builtInFoci, generalFocus } from './built-in-foci.js';
import { createDefaultFocusMatcher } from './default-focus-matcher.js';

const matcher = createDefaultFocusMatcher();

function focus(name: string, fields: Partial<Focus> = {}): Focus {
  return { ...generalFocus, name, role: name, ...fields };
}

async function matchName(
  issue: Partial<Issue>,
  foci: readonly Focus[] = builtInFoci,
): Promise<string | null> {
  const match = await matcher.match({ issue: createTestIssue({ title: '', ...issue }), foci: [...foci] });
  return match?.focus.name ?? null;
}

describe('default focus matcher', () => {
  it('implements the focus matcher slot', () => {
    expect(matcher.specificationVersion).toBe('focus-matcher-v1');
  });

  it('matches keywords only as whole words', async () => {
    const foci = [focus('bug', { keywords: ['fix'] })];
    expect(await matchName({ title: 'Add a prefix option' }, foci)).toBeNull();
    expect(await matchName({ title: 'Document the fixes and the fixture' }, foci)).toBeNull();
    expect(await matchName({ title: 'Fix: login' }, foci)).toBe('bug');
    expect(await matchName({ title: 'Quick bug-fix for login' }, foci)).toBe('bug');
    expect(await matchName({ title: 'login (FIX)' }, foci)).toBe('bug');
  });

  it('treats keyword characters literally', async () => {
    const foci = [focus('cpp', { keywords: ['c++'] }), focus('dotnet', { keywords: ['.net'] })];
    expect(await matchName({ title: 'Port the parser to c++ today' }, foci)).toBe('cpp');
    expect(await matchName({ title: 'Port the parser to cxx' }, foci)).toBeNull();
    expect(await matchName({ title: 'Use .net 8' }, foci)).toBe('dotnet');
  });

  it('weighs a keyword in the title more than one in the description', async () => {
    const foci = [focus('second', { keywords: ['beta'] }), focus('first', { keywords: ['alpha'] })];
    expect(await matchName({ title: 'alpha', description: 'beta' }, foci)).toBe('first');
    expect(await matchName({ title: 'beta', description: 'alpha' }, foci)).toBe('second');
    const match = await matcher.match({
      issue: createTestIssue({ title: 'alpha', description: 'beta alpha' }),
      foci,
    });
    expect(match).toEqual({ focus: foci[1], score: 2, reasons: ['keyword "alpha" in title'] });
  });

  it('scores the issue type and labels above single keywords', async () => {
    const keywords = focus('keywords', { keywords: ['one', 'two'] });
    const typed = focus('typed', { types: ['bug'] });
    const labelled = focus('labelled', { labels: ['ui'] });
    const foci = [keywords, typed, labelled];
    // Two title keywords (2 + 2) lose to a type (5) and to a label (4) on their own…
    expect(await matchName({ title: 'one two', type: 'Bug' }, foci)).toBe('typed');
    expect(await matchName({ title: 'one two', labels: ['ui'] }, foci)).toBe('keywords');
    expect(await matchName({ title: 'one', labels: ['ui'] }, foci)).toBe('labelled');
    const match = await matcher.match({
      issue: createTestIssue({ title: 'x', labels: ['ui'], type: 'bug' }),
      foci,
    });
    expect(match?.focus.name).toBe('typed');
    expect(match?.reasons).toEqual(['type "bug"']);
  });

  it('adds up type, labels and keywords with the reasons for each', async () => {
    const match = await matcher.match({
      issue: createTestIssue({
        title: 'Crash on save',
        description: 'A regression since 2.0',
        type: 'bug',
        labels: ['bug', 'p1'],
      }),
      foci: [...builtInFoci],
    });
    expect(match?.focus.name).toBe('bug');
    expect(match?.score).toBe(5 + 4 + 2 + 1);
    expect(match?.reasons).toEqual([
      'type "bug"',
      'label "bug"',
      'keyword "crash" in title',
      'keyword "regression" in description',
    ]);
  });

  it('lets a needs:<focus> label win outright', async () => {
    const match = await matcher.match({
      issue: createTestIssue({
        title: 'Fix the crash, a bug and an error',
        type: 'bug',
        labels: ['bug', 'needs:docs'],
      }),
      foci: [...builtInFoci],
    });
    expect(match).toEqual({
      focus: builtInFoci.find((candidate) => candidate.name === 'docs'),
      score: Number.POSITIVE_INFINITY,
      reasons: ['label "needs:docs"'],
    });
    expect(await matchName({ title: 'anything', labels: [' Needs:Security '] })).toBe('security');
    // A needs: label naming no focus is just a label.
    expect(await matchName({ title: 'Crash', labels: ['needs:nobody'] })).toBe('bug');
  });

  it('gives a tie to the focus listed first', async () => {
    const left = focus('left', { keywords: ['shared'] });
    const right = focus('right', { keywords: ['shared'] });
    expect(await matchName({ title: 'shared' }, [left, right])).toBe('left');
    expect(await matchName({ title: 'shared' }, [right, left])).toBe('right');
  });

  it('returns null when nothing scores', async () => {
    expect(await matchName({ title: 'Ponder the meaning of life', description: null })).toBeNull();
    expect(await matchName({ title: 'anything' }, [])).toBeNull();
  });

  it('recognizes the built-in foci', async () => {
    expect(await matchName({ title: 'Implement dark mode' })).toBe('feature');
    expect(await matchName({ title: 'Refactor the parser' })).toBe('refactor');
    expect(await matchName({ title: 'The submit button overlaps the footer' })).toBe('frontend');
    expect(await matchName({ title: 'Typo in the README' })).toBe('docs');
    expect(await matchName({ title: 'Flaky test in the scheduler' })).toBe('test');
    expect(await matchName({ title: 'XSS in the comment form' })).toBe('security');
    expect(await matchName({ title: 'Speed up the CI pipeline' })).toBe('devops');
    expect(await matchName({ title: 'Bump lodash', labels: ['dependencies'] })).toBe('chore');
  });
});
