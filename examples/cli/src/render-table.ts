import Table from 'cli-table3';
import { terminalText } from './terminal-text.js';

/**
 * A plain-text table for a terminal: a header, a rule, aligned columns, no colour codes. Every
 * cell is one line of plain text (`terminalText`), whatever the forge or tracker sent.
 */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const table = new Table({
    head: header.map(terminalText),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '-',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '',
    },
  });
  table.push(...rows.map((row) => row.map(terminalText)));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
