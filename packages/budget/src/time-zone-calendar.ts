import { TZDate } from '@date-fns/tz';
import { addDays } from 'date-fns/addDays';
import { addMonths } from 'date-fns/addMonths';
import { addWeeks } from 'date-fns/addWeeks';
import { format } from 'date-fns/format';
import { startOfDay } from 'date-fns/startOfDay';
import { startOfMonth } from 'date-fns/startOfMonth';
import { startOfWeek } from 'date-fns/startOfWeek';
import type { BudgetPeriod } from './budget-types.js';

/**
 * Calendar arithmetic in a time zone, the only code that needs the time-zone library. It is
 * imported on demand (see `loadTimeZoneCalendar`), and from date-fns' per-function modules
 * rather than its index, which alone takes seconds to load.
 */

/** Boundaries and name of the day, week (from Monday) or month holding `at`, in `timeZone`. */
export function calendarWindowAt(
  period: Exclude<BudgetPeriod, 'total'>,
  timeZone: string,
  at: Date,
): { id: string; start: Date; end: Date } {
  const local = new TZDate(at.getTime(), timeZone);
  if (period === 'day') {
    const start = startOfDay(local);
    return { id: format(start, 'yyyy-MM-dd'), start: new Date(start), end: new Date(addDays(start, 1)) };
  }
  if (period === 'week') {
    const start = startOfWeek(local, { weekStartsOn: 1 });
    return {
      id: `week-of-${format(start, 'yyyy-MM-dd')}`,
      start: new Date(start),
      end: new Date(addWeeks(start, 1)),
    };
  }
  const start = startOfMonth(local);
  return { id: format(start, 'yyyy-MM'), start: new Date(start), end: new Date(addMonths(start, 1)) };
}

/** The local calendar day of `at` in `timeZone`, as `yyyy-MM-dd`. */
export function calendarDayOf(timeZone: string, at: Date): string {
  return format(new TZDate(at.getTime(), timeZone), 'yyyy-MM-dd');
}
