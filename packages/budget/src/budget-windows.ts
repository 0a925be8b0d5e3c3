import { TZDate } from '@date-fns/tz';
import { addDays, addMonths, addWeeks, format, startOfDay, startOfMonth, startOfWeek } from 'date-fns';
import type { BudgetPeriod } from './budget-types.js';

/** The stretch of time a limit counts spend over. `start`/`end` are null for `total`. */
export interface BudgetWindow {
  period: BudgetPeriod;
  /** Names the window in its time zone: `total`, `2025-03-09`, `week-of-2025-03-03`, `2025-03`. */
  id: string;
  start: Date | null;
  end: Date | null;
}

/**
 * The window of `period` that holds `at`, with boundaries at local midnight in `timeZone`
 * (so a day is 23 or 25 hours long across a daylight-saving change). Weeks start on Monday.
 */
export function windowAt(period: BudgetPeriod, timeZone: string, at: Date): BudgetWindow {
  if (period === 'total') return { period, id: 'total', start: null, end: null };
  const local = new TZDate(at.getTime(), timeZone);
  if (period === 'day') {
    const start = startOfDay(local);
    return {
      period,
      id: format(start, 'yyyy-MM-dd'),
      start: new Date(start),
      end: new Date(addDays(start, 1)),
    };
  }
  if (period === 'week') {
    const start = startOfWeek(local, { weekStartsOn: 1 });
    return {
      period,
      id: `week-of-${format(start, 'yyyy-MM-dd')}`,
      start: new Date(start),
      end: new Date(addWeeks(start, 1)),
    };
  }
  const start = startOfMonth(local);
  return { period, id: format(start, 'yyyy-MM'), start: new Date(start), end: new Date(addMonths(start, 1)) };
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
  return format(new TZDate(at.getTime(), timeZone), 'yyyy-MM-dd');
}
