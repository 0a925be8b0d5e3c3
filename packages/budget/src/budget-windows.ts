import { LoompaError } from '@loompa/core';
import type { BudgetPeriod } from './budget-types.js';

/** The stretch of time a limit counts spend over. `start`/`end` are null for `total`. */
export interface BudgetWindow {
  period: BudgetPeriod;
  /** Names the window in its time zone: `total`, `2025-03-09`, `week-of-2025-03-03`, `2025-03`. */
  id: string;
  start: Date | null;
  end: Date | null;
}

type TimeZoneCalendar = typeof import('./time-zone-calendar.js');

// The time-zone library is loaded only when a window other than `total` (or a report by day)
// is asked for: a budget without periods, and every command that only reads the workflow,
// never pay for it.
let calendar: TimeZoneCalendar | null = null;

/** Loads the time-zone calendar that day, week and month windows need; cheap once loaded. */
export async function loadTimeZoneCalendar(): Promise<void> {
  calendar ??= await import('./time-zone-calendar.js');
}

function loadedCalendar(): TimeZoneCalendar {
  if (calendar === null) {
    throw new LoompaError(
      'invalid_state',
      'Day, week and month windows need `await loadTimeZoneCalendar()` first',
    );
  }
  return calendar;
}

/**
 * The window of `period` that holds `at`, with boundaries at local midnight in `timeZone`
 * (so a day is 23 or 25 hours long across a daylight-saving change). Weeks start on Monday.
 * Periods other than `total` need `loadTimeZoneCalendar()` to have resolved.
 */
export function windowAt(period: BudgetPeriod, timeZone: string, at: Date): BudgetWindow {
  if (period === 'total') return { period, id: 'total', start: null, end: null };
  return { period, ...loadedCalendar().calendarWindowAt(period, timeZone, at) };
}

/** True when `at` falls in the window (start inclusive, end exclusive). */
export function isInWindow(window: BudgetWindow, at: Date): boolean {
  const time = at.getTime();
  if (window.start !== null && time < window.start.getTime()) return false;
  if (window.end !== null && time >= window.end.getTime()) return false;
  return true;
}

/** The local calendar day of `at` in `timeZone`, as `yyyy-MM-dd` (for reports). */
export function localDay(timeZone: string, at: Date): string {
  return loadedCalendar().calendarDayOf(timeZone, at);
}
