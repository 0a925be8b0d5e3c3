import { describe, expect, it } from 'vitest';
import { jsonObjectOrNull, numberOrZero, parseJsonObjectLine, stringOrNull } from './json-values.js';

describe('JSON line readers', () => {
  it('parses a line into an object, and anything else into null', () => {
    expect(parseJsonObjectLine('{"type":"text","part":{"text":"hi"}}')).toEqual({
      type: 'text',
      part: { text: 'hi' },
    });
    for (const line of ['not json', '[1,2]', '"text"', '42', 'null', '{"unterminated":']) {
      expect(parseJsonObjectLine(line), line).toBeNull();
    }
  });

  it('reads a field of the wrong type as absent', () => {
    expect(jsonObjectOrNull({ a: 1 })).toEqual({ a: 1 });
    expect(jsonObjectOrNull([])).toBeNull();
    expect(jsonObjectOrNull(null)).toBeNull();
    expect(numberOrZero(12.5)).toBe(12.5);
    expect(numberOrZero('12')).toBe(0);
    expect(numberOrZero(Number.NaN)).toBe(0);
    expect(numberOrZero(Number.POSITIVE_INFINITY)).toBe(0);
    expect(stringOrNull('')).toBe('');
    expect(stringOrNull(1)).toBeNull();
  });
});
