import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../specifications/agent-backend.js';
import { safeEventListener } from './safe-event-listener.js';

describe('safeEventListener', () => {
  it('passes every event on and swallows what the listener throws', () => {
    const seen: AgentEvent[] = [];
    const emit = safeEventListener((event) => {
      seen.push(event);
      throw new Error('listener bug');
    });
    expect(() => emit({ type: 'text', text: 'one' })).not.toThrow();
    emit({ type: 'raw', line: 'two' });
    expect(seen).toEqual([
      { type: 'text', text: 'one' },
      { type: 'raw', line: 'two' },
    ]);
  });

  it('does nothing without a listener', () => {
    expect(() => safeEventListener(undefined)({ type: 'text', text: 'x' })).not.toThrow();
  });
});
