import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../specifications/agent-backend.js';
import {
  jsonObjectOrNull,
  numberOrZero,
  parseJsonObjectLine,
  readJsonObjectLine,
  stringOrNull,
} from './json-values.js';

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

  it('keeps a line that is not a JSON object as a raw event', () => {
    const events: AgentEvent[] = [];
    const emit = (event: AgentEvent) => events.push(event);
    expect(readJsonObjectLine('{"type":"step_finish"}', emit)).toEqual({ type: 'step_finish' });
    expect(readJsonObjectLine('Warning: npm update available', emit)).toBeNull();
    expect(events).toEqual([{ type: 'raw', line: 'Warning: npm update available' }]);
  });
});
