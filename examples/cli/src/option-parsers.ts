import { InvalidArgumentError as InvalidOptionValueError } from 'commander';

/** The spend tables `loompa budget --by` can show. */
export const spendDimensions = ['day', 'issue', 'focus', 'profile', 'model'] as const;
export type SpendDimensionName = (typeof spendDimensions)[number];

/** Parses `--by issue,model`. */
export function parseDimensions(value: string): SpendDimensionName[] {
  const wanted = value.split(',').map((item) => item.trim().toLowerCase());
  const unknown = wanted.filter((item) => !(spendDimensions as readonly string[]).includes(item));
  if (unknown.length > 0) {
    throw new InvalidOptionValueError(
      `unknown ${unknown.join(', ')}; choose from ${spendDimensions.join(', ')}`,
    );
  }
  return wanted as SpendDimensionName[];
}

/** Parses an ISO date or date-time option. */
export function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new InvalidOptionValueError(`"${value}" is not a date (use 2026-01-31)`);
  return date;
}
