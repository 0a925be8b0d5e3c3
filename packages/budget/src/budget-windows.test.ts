import { beforeAll, describe, expect, it } from 'vitest';
import { isInWindow, loadTimeZoneCalendar, windowAt } from './budget-windows.js';

beforeAll(loadTimeZoneCalendar);

describe('windowAt', () => {
  it('starts days at local midnight in the configured zone', () => {
    // 23:30 in New York on 9 March 2025 is 03:30 UTC on the 10th.
    const window = windowAt('day', 'America/New_York', new Date('2025-03-10T03:30:00Z'));
    expect(window.id).toBe('2025-03-09');
    expect(window.start?.toISOString()).toBe('2025-03-09T05:00:00.000Z');
    // Clocks went forward that night: the next midnight is UTC−4.
    expect(window.end?.toISOString()).toBe('2025-03-10T04:00:00.000Z');
  });

  it('starts weeks on Monday and months on the first, in the zone', () => {
    const at = new Date('2025-03-02T20:00:00Z'); // Monday 3 March 05:00 in Tokyo
    const week = windowAt('week', 'Asia/Tokyo', at);
    expect(week.id).toBe('week-of-2025-03-03');
    expect(week.start?.toISOString()).toBe('2025-03-02T15:00:00.000Z');
    expect(week.end?.toISOString()).toBe('2025-03-09T15:00:00.000Z');
    const month = windowAt('month', 'Asia/Tokyo', at);
    expect(month.id).toBe('2025-03');
    expect(month.start?.toISOString()).toBe('2025-02-28T15:00:00.000Z');
    expect(month.end?.toISOString()).toBe('2025-03-31T15:00:00.000Z');
    expect(windowAt('month', 'UTC', at).id).toBe('2025-03');
  });

  it('has no boundaries for total, and includes the start but not the end', () => {
    const total = windowAt('total', 'UTC', new Date('2025-01-01T00:00:00Z'));
    expect(total).toEqual({ period: 'total', id: 'total', start: null, end: null });
    expect(isInWindow(total, new Date(0))).toBe(true);
    const day = windowAt('day', 'UTC', new Date('2025-01-01T12:00:00Z'));
    expect(isInWindow(day, day.start!)).toBe(true);
    expect(isInWindow(day, day.end!)).toBe(false);
    expect(isInWindow(day, new Date(day.end!.getTime() - 1))).toBe(true);
  });
});
