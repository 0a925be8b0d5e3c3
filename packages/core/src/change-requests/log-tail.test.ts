import { describe, expect, it } from 'vitest';
import { tailBytes } from './log-tail.js';

describe('tailBytes', () => {
  it('keeps the last bytes without splitting a UTF-8 character', () => {
    // '€' is three bytes: five bytes from the end start inside the first one, which is skipped.
    expect(tailBytes('aaa€€', 5)).toBe('€');
    expect(tailBytes('ééé', 3)).toBe('é');
    expect(tailBytes('abcdef', 3)).toBe('def');
  });

  it('returns a text within the budget as it is', () => {
    expect(tailBytes('short', 100)).toBe('short');
    expect(tailBytes('', 0)).toBe('');
  });
});
