import { describe, expect, it } from 'vitest';
import { AgentAvailability } from './agent-availability.js';

describe('AgentAvailability', () => {
  it('says a kind became unavailable once, until a run succeeds or the workflow changes', () => {
    const availability = new AgentAvailability();
    expect(availability.pause('claude', 'invalid key')).toBe(true);
    expect(availability.pause('claude', 'invalid key again')).toBe(false);
    expect(availability.reasonPaused('claude')).toBe('invalid key again');
    expect(availability.reasonPaused('opencode')).toBeNull();
    availability.markAvailable('claude');
    expect(availability.reasonPaused('claude')).toBeNull();
    availability.pause('opencode', 'bad config');
    expect(availability.list()).toEqual([{ agentKind: 'opencode', reason: 'bad config' }]);
    availability.clear();
    expect(availability.list()).toEqual([]);
  });
});
