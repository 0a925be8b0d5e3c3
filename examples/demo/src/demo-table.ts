import Table from 'cli-table3';
import type { DemoResult } from './demo-result.js';

/** The closing table: task, branch, checks, review, merged, turns, cost. */
export function renderDemoTable(results: readonly DemoResult[]): string {
  const table = new Table({
    head: ['Task', 'Branch', 'Checks', 'Review', 'Rebases', 'Merged', 'Turns', 'Tokens', 'Cost'],
    style: { head: [], border: [] },
  });
  for (const result of results) {
    table.push([
      result.task,
      result.branch ?? '–',
      result.checks,
      result.review,
      String(result.rebases),
      result.merged ? 'yes' : 'no',
      String(result.turns),
      result.tokens.toLocaleString('en-US'),
      `$${result.costUsd.toFixed(4)}`,
    ]);
  }
  return table.toString();
}
