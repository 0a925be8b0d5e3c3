import type { Focus, FocusMatch } from '../specifications/focus.js';
import type { FocusMatcherV1 } from '../specifications/focus-matcher.js';
import { normalizeName } from '../specifications/issue.js';
import { containsWord } from './contains-word.js';

/** Weights: an explicit type or label says more than a word that happens to appear. */
const typeScore = 5;
const labelScore = 4;
const titleKeywordScore = 2;
const descriptionKeywordScore = 1;

/**
 * Scores each focus by the issue's type, labels, and whole-word keywords in the title
 * (worth more) and description. A `needs:<focus>` label wins outright. Ties go to the focus
 * listed first. Nothing scoring above zero means no focus (the general one applies).
 */
export function createDefaultFocusMatcher(): FocusMatcherV1 {
  return {
    specificationVersion: 'focus-matcher-v1',
    name: 'default',
    match({ issue, foci }): FocusMatch | null {
      const labels = issue.labels.map(normalizeName);
      for (const focus of foci) {
        if (labels.includes(`needs:${normalizeName(focus.name)}`)) {
          return { focus, score: Number.POSITIVE_INFINITY, reasons: [`label "needs:${focus.name}"`] };
        }
      }
      let best: FocusMatch | null = null;
      for (const focus of foci) {
        const match = scoreFocus(focus, issue.title, issue.description ?? '', issue.type, labels);
        if (match.score > 0 && (best === null || match.score > best.score)) best = match;
      }
      return best;
    },
  };
}

function scoreFocus(
  focus: Focus,
  title: string,
  description: string,
  type: string | null,
  labels: string[],
): FocusMatch {
  let score = 0;
  const reasons: string[] = [];
  if (type !== null && focus.types.includes(normalizeName(type))) {
    score += typeScore;
    reasons.push(`type "${type}"`);
  }
  for (const label of labels) {
    if (focus.labels.includes(label)) {
      score += labelScore;
      reasons.push(`label "${label}"`);
    }
  }
  for (const keyword of focus.keywords) {
    if (containsWord(title, keyword)) {
      score += titleKeywordScore;
      reasons.push(`keyword "${keyword}" in title`);
    } else if (containsWord(description, keyword)) {
      score += descriptionKeywordScore;
      reasons.push(`keyword "${keyword}" in description`);
    }
  }
  return { focus, score, reasons };
}
