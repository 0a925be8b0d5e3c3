import { styleText } from 'node:util';
import type { Logger, Orchestrator, OrchestratorEvent, OrchestratorSnapshot } from '@loompa/core';
import { createJsonLogger } from '@loompa/core';
import { createLogUpdate } from 'log-update';
import { formatDuration, formatTokens, formatUsd } from './format-values.js';
import { renderTable } from './render-table.js';
import type { RunSummary } from './run-summary.js';

/** How often the live area is redrawn on a terminal. */
const redrawIntervalMs = 250;

export interface ProgressViewOptions {
  stream: NodeJS.WriteStream;
  /** Redraw a live area in place (a terminal); otherwise print one line per milestone. */
  live: boolean;
}

/** The milestone lines printed for events worth keeping in the scrollback. */
function milestoneOf(event: OrchestratorEvent): string | null {
  switch (event.type) {
    case 'issue-dispatched': {
      const { issueIdentifier, attempt, agentKind, model, focus } = event.payload;
      const retry = attempt === null ? '' : ` (attempt ${attempt})`;
      return `${issueIdentifier} dispatched${retry} to ${agentKind}${model ? ` ${model}` : ''} as ${focus ?? 'general'}`;
    }
    case 'change-request-opened':
      return `${event.payload.issueIdentifier} change request opened: ${event.payload.changeRequest.url ?? event.payload.changeRequest.branch}`;
    case 'reaction-started':
      return `${event.payload.issueIdentifier} agent resumed for ${event.payload.reaction} (attempt ${event.payload.attempt})`;
    case 'change-request-updated':
      return `${event.payload.issueIdentifier} change request updated (${event.payload.headSha?.slice(0, 8) ?? 'no head'})`;
    case 'change-request-merged':
      return `${event.payload.issueIdentifier} merged`;
    case 'issue-done':
      return `${event.payload.issueIdentifier} done: ${event.payload.reason}`;
    case 'retry-scheduled':
      return `${event.payload.issueIdentifier} retry ${event.payload.attempt} in ${formatDuration(event.payload.delayMs)}: ${event.payload.reason}`;
    case 'issue-blocked':
      return `${event.payload.issueIdentifier} blocked: ${event.payload.reason}`;
    case 'issue-released':
      return `${event.payload.issueIdentifier} released: ${event.payload.reason}`;
    case 'hook-failed':
      return `${event.payload.issueIdentifier} hook ${event.payload.hook} failed: ${event.payload.message}`;
    case 'workflow-reloaded':
      return `workflow reloaded from ${event.payload.filePath}`;
    case 'workflow-invalid':
      return `workflow edit rejected, the last valid one stays in force:\n${event.payload.error.message}`;
    case 'budget-exceeded':
      return `budget: ${event.payload.decision.reason}`;
    case 'budget-warning':
      return `budget warning: ${event.payload.message}`;
    case 'tick-failed':
      return `tick failed while ${event.payload.stage}: ${event.payload.message}`;
    default:
      return null;
  }
}

/** The live area: one line per item the orchestrator holds, and the totals. */
export function renderSnapshot(snapshot: OrchestratorSnapshot, now: Date): string {
  const rows: string[][] = [];
  for (const item of snapshot.running) {
    rows.push([
      item.identifier,
      item.phase,
      item.attempt === null ? '1' : String(item.attempt + 1),
      formatDuration(now.getTime() - new Date(item.startedAt).getTime()),
      `${item.turns}`,
      formatTokens(item.usage),
      formatUsd(item.costUsd),
      item.lastEvent ?? '',
    ]);
  }
  for (const item of snapshot.awaiting) {
    rows.push([
      item.identifier,
      'awaiting',
      '',
      formatDuration(now.getTime() - new Date(item.since).getTime()),
      '',
      '',
      '',
      item.waitingFor ?? '',
    ]);
  }
  for (const item of snapshot.retrying) {
    const dueIn = new Date(item.dueAt).getTime() - now.getTime();
    rows.push([
      item.identifier,
      'retry-wait',
      String(item.attempt + 1),
      `in ${formatDuration(dueIn)}`,
      '',
      '',
      '',
      item.reason,
    ]);
  }
  for (const item of snapshot.blocked) {
    rows.push([item.identifier, 'blocked', '', '', '', '', '', item.reason]);
  }
  const { totals } = snapshot;
  const state = snapshot.draining
    ? 'draining: no new work; press Ctrl-C again to cancel running agents'
    : snapshot.nextPollAt
      ? `next poll in ${formatDuration(new Date(snapshot.nextPollAt).getTime() - now.getTime())}`
      : '';
  const lines = [
    `${totals.runs} runs · ${formatTokens(totals.usage)} tokens · ${formatUsd(totals.costUsd)}${snapshot.budget.paused ? ` · budget paused: ${snapshot.budget.reason}` : ''}${state ? ` · ${state}` : ''}`,
  ];
  if (rows.length > 0) {
    lines.unshift(
      renderTable(['Issue', 'Phase', 'Attempt', 'Elapsed', 'Turns', 'Tokens', 'Cost', 'Latest'], rows),
    );
  }
  if (!snapshot.workflow.valid && snapshot.workflow.error)
    lines.push(`WORKFLOW.md: ${snapshot.workflow.error}`);
  return lines.join('\n');
}

/** The end-of-run summary: one row per issue, then the totals. */
export function renderRunSummary(summary: RunSummary, snapshot: OrchestratorSnapshot): string {
  const issues = summary.list();
  const totals = `${snapshot.totals.runs} agent runs · ${formatTokens(snapshot.totals.usage)} tokens · ${formatUsd(snapshot.totals.costUsd)} · ${formatDuration(snapshot.totals.runtimeMs)} agent time`;
  if (issues.length === 0) return `Nothing to do: no issue was eligible.\n${totals}`;
  const table = renderTable(
    ['Issue', 'Outcome', 'Runs', 'Turns', 'Tokens', 'Cost', 'Branch', 'Note'],
    issues.map((issue) => [
      issue.identifier,
      issue.outcome,
      String(issue.runs),
      String(issue.turns),
      formatTokens(issue.usage),
      formatUsd(issue.costUsd),
      issue.branch ?? '',
      issue.reason ?? (issue.reactions.length > 0 ? `reacted to ${issue.reactions.join(', ')}` : ''),
    ]),
  );
  return `${table}\n${totals}`;
}

/**
 * What `loompa run` shows on a terminal: milestones in the scrollback and, when live, an area
 * redrawn in place with each item's phase, attempt, elapsed time, tokens and cost.
 */
export class ProgressView {
  private readonly update: ReturnType<typeof createLogUpdate> | null;
  private orchestrator: Orchestrator | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ProgressViewOptions) {
    this.update = options.live ? createLogUpdate(options.stream) : null;
  }

  /** Follows this orchestrator's events and, when live, redraws its snapshot. */
  start(orchestrator: Orchestrator): void {
    this.orchestrator = orchestrator;
    orchestrator.events.on('event', this.onEvent);
    if (this.update) {
      this.timer = setInterval(() => this.redraw(), redrawIntervalMs);
      this.timer.unref();
    }
  }

  /** Prints a line that stays (above the live area when there is one). */
  print(text: string): void {
    if (this.update) this.update.persist(text);
    else this.options.stream.write(`${text}\n`);
  }

  /** A logger whose lines go through the view, so they never tear the live area. */
  logger(level: 'debug' | 'info' | 'warn' | 'error'): Logger {
    return createJsonLogger({
      level,
      write: (line) => {
        const {
          time: _time,
          level: lineLevel,
          message,
          ...fields
        } = JSON.parse(line) as Record<string, unknown>;
        const details = Object.entries(fields)
          .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
          .join(' ');
        const label =
          lineLevel === 'error' || lineLevel === 'warn'
            ? styleText('yellow', String(lineLevel))
            : String(lineLevel);
        this.print(`${label}: ${String(message)}${details ? ` ${details}` : ''}`);
      },
    });
  }

  stop(): void {
    this.orchestrator?.events.off('event', this.onEvent);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.update) {
      this.update.clear();
      this.update.done();
    }
  }

  private readonly onEvent = (event: OrchestratorEvent): void => {
    const line = milestoneOf(event);
    if (line !== null) this.print(line);
  };

  private redraw(): void {
    if (this.orchestrator) this.update?.(renderSnapshot(this.orchestrator.snapshot(), new Date()));
  }
}
