import type { SpendReport, SpendRow } from './spend-report.js';

export type SpendDimension = 'day' | 'issue' | 'focus' | 'profile' | 'model';

const sections: Array<{
  dimension: SpendDimension;
  title: string;
  rows: (report: SpendReport) => SpendRow[];
}> = [
  { dimension: 'day', title: 'Day', rows: (report) => report.byDay },
  { dimension: 'issue', title: 'Issue', rows: (report) => report.byIssue },
  { dimension: 'focus', title: 'Focus', rows: (report) => report.byFocus },
  { dimension: 'profile', title: 'Profile', rows: (report) => report.byProfile },
  { dimension: 'model', title: 'Model', rows: (report) => report.byModel },
];

const integerFormat = new Intl.NumberFormat('en-US');

function usd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

/** Lays out rows under a header; the first column is left-aligned, the others right-aligned. */
function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function rowCells(row: SpendRow): string[] {
  return [
    row.label,
    integerFormat.format(row.entries),
    integerFormat.format(row.usage.inputTokens),
    integerFormat.format(row.usage.outputTokens),
    integerFormat.format(row.usage.cacheReadTokens),
    integerFormat.format(row.usage.cacheWriteTokens),
    row.unknownCostEntries > 0 ? `${usd(row.costUsd)}*` : usd(row.costUsd),
  ];
}

/**
 * Renders a spend report as plain-text tables for a terminal, one per dimension (all five
 * unless `dimensions` picks some). Costs marked `*` include runs whose cost is unknown.
 */
export function renderSpendReport(
  report: SpendReport,
  options: { dimensions?: SpendDimension[] } = {},
): string {
  const wanted = options.dimensions ?? sections.map((section) => section.dimension);
  const blocks = sections
    .filter((section) => wanted.includes(section.dimension))
    .map((section) => {
      const rows = section.rows(report);
      const body = renderTable(
        [section.title, 'Runs', 'Input', 'Output', 'Cache read', 'Cache write', 'Cost'],
        [
          ...rows.map(rowCells),
          rowCells({
            key: null,
            label: 'Total',
            entries: report.entries,
            costUsd: report.totalUsd,
            usage: report.usage,
            unknownCostEntries: report.unknownCostEntries,
          }),
        ],
      );
      return `Spend by ${section.dimension}\n${body}`;
    });
  const range = `${report.from?.toISOString() ?? 'beginning'} to ${report.to?.toISOString() ?? 'now'}`;
  const notes = [`Period: ${range} (days in ${report.timezone})`];
  if (report.subscriptionEntries > 0) {
    notes.push(`${report.subscriptionEntries} run(s) on a subscription are counted at $0.00.`);
  }
  if (report.unknownCostEntries > 0) {
    notes.push(`* ${report.unknownCostEntries} run(s) had no reported cost and no price: counted as $0.00.`);
  }
  return [notes.join('\n'), ...blocks].join('\n\n') + '\n';
}
