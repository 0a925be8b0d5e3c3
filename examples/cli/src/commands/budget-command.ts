import { type BudgetSettings, budgetPlugin, renderSpendReport, type SpendDimension } from '@loompa/budget';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { formatUsd } from '../format-values.js';
import { loadCliWorkflow } from '../loompa-plugin-schemas.js';
import { renderTable } from '../render-table.js';
import {
  describeStartFailure,
  resolveWorkflowPath,
  standalonePluginContext,
  stateDirectoryOf,
} from '../workflow-file.js';

export interface BudgetCommandOptions {
  stateDir?: string;
  from?: Date;
  to?: Date;
  by?: SpendDimension[];
  json?: boolean;
}

/** `loompa budget`: the limits with what is spent and what remains, then spend by day, issue, focus, profile and model. */
export async function budgetCommand(
  workflowArgument: string | undefined,
  options: BudgetCommandOptions,
): Promise<ExitCode> {
  let budget: ReturnType<typeof budgetPlugin.create>;
  try {
    const workflow = await loadCliWorkflow(resolveWorkflowPath(workflowArgument));
    const stateDirectory = stateDirectoryOf(workflow, options.stateDir);
    budget = budgetPlugin.create(
      workflow.pluginSettings.budget as BudgetSettings,
      standalonePluginContext(workflow, stateDirectory),
    );
  } catch (error) {
    for (const line of describeStartFailure(error)) process.stderr.write(`${line}\n`);
    return exitCodes.failure;
  }
  const range = {
    ...(options.from ? { from: options.from } : {}),
    ...(options.to ? { to: options.to } : {}),
  };
  const [status, report] = await Promise.all([budget.status(), budget.report(range)]);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ status, report })}\n`);
    return exitCodes.success;
  }
  const lines = [
    `Spent ${formatUsd(status.spentUsd)}${status.remainingUsd === null ? ' (no overall limit)' : `, ${formatUsd(status.remainingUsd)} remaining`}${status.paused ? ` — dispatch paused: ${status.reason}` : ''}`,
  ];
  if (status.limits.length > 0) {
    lines.push(
      '',
      renderTable(
        ['Limit', 'Applies to', 'Period', 'Limit USD', 'Spent', 'Remaining', 'Window ends'],
        status.limits.map((limit) => [
          limit.limit,
          limit.scopeName ?? 'everything',
          limit.period,
          formatUsd(limit.limitUsd),
          formatUsd(limit.spentUsd),
          limit.exhausted ? 'exhausted' : formatUsd(limit.remainingUsd),
          limit.windowEnd?.toISOString() ?? 'never',
        ]),
      ),
    );
  }
  lines.push('', renderSpendReport(report, options.by ? { dimensions: options.by } : {}));
  process.stdout.write(`${lines.join('\n')}\n`);
  return exitCodes.success;
}
