import type { OrchestratorEvent } from '@loompa/core';
import { redactValue } from '@loompa/core';

/** One line of an item's history: what the agent said or did, or what happened to the item. */
export interface HistoryEntry {
  at: string;
  /** `text`, `tool-call`, `tool-result` and `error` come from the agent; the rest from the orchestrator. */
  kind: 'text' | 'tool-call' | 'tool-result' | 'error' | 'event';
  /** The orchestrator event behind an `event` entry (e.g. `reaction-started`). */
  event?: string;
  text: string;
}

/** A finished item, kept so the board can show recent work in its done column. */
export interface DoneItem {
  issueId: string;
  identifier: string;
  title: string;
  reason: string;
  at: string;
}

export interface ItemHistoryLimits {
  /** Entries kept per item; older ones are dropped first (default 400). */
  entriesPerItem?: number;
  /** Items kept; the least recently active is dropped first (default 200). */
  items?: number;
  /** Characters kept of one text, tool input or output (default 2,000). */
  textLength?: number;
  /** Finished items kept for the done column (default 50). */
  done?: number;
}

interface ItemRecord {
  identifier: string;
  entries: HistoryEntry[];
  /** Reactions started on the item's change request, oldest first. */
  reactions: Array<{ at: string; reaction: string; attempt: number }>;
}

/** What a failed `thread-reply-failed` step was doing. */
const threadStepText: Record<string, string> = {
  read: 'reading',
  reply: 'replying to',
  resolve: 'resolving',
};

const describedEvents: Partial<Record<OrchestratorEvent['type'], (payload: any) => string>> = {
  'issue-dispatched': (payload) =>
    `dispatched (attempt ${payload.attempt ?? 1}, focus ${payload.focus ?? 'general'}, profile ${payload.profile ?? 'default'}, ${payload.agentKind})`,
  'workspace-prepared': (payload) => `workspace ready on branch ${payload.branch}`,
  'agent-run-started': (payload) => `agent turn ${payload.turn} started`,
  'agent-run-finished': (payload) => `agent turn ${payload.turn} ended: ${payload.result.status}`,
  'change-request-opened': (payload) =>
    `change request opened: ${payload.changeRequest.url ?? payload.changeRequest.branch}`,
  'change-request-updated': (payload) =>
    `change request updated${payload.headSha ? ` to ${payload.headSha.slice(0, 12)}` : ''}`,
  'change-request-approved': (payload) => `change request approved by ${payload.reviewer}`,
  'change-request-merged': () => 'change request merged',
  'reaction-started': (payload) => `reaction: ${payload.reaction} (round ${payload.attempt})`,
  'thread-replied': (payload) =>
    `replied to review thread ${payload.threadId}${payload.resolved ? ' and resolved it' : ''}`,
  'thread-reply-failed': (payload) =>
    `${threadStepText[payload.step] ?? payload.step} review thread ${payload.threadId} failed (${payload.failures} in a row): ${payload.message}; ${payload.retryInMs === null ? 'given up, a person has to answer it' : `trying again in ${Math.ceil(payload.retryInMs / 1000)} s`}`,
  'check-failures-classified': (payload) =>
    `failed checks classified: ${payload.classifications.map((entry: { checkName: string; classification: string }) => `${entry.checkName} ${entry.classification}`).join(', ')}`,
  'checks-rerun': (payload) =>
    `re-ran ${payload.checks.map((entry: { checkName: string; classification: string }) => `${entry.checkName} (${entry.classification})`).join(', ')} once; no fix attempt`,
  'retry-scheduled': (payload) =>
    `retry ${payload.attempt} in ${Math.round(payload.delayMs / 1000)} s: ${payload.reason}`,
  'hook-failed': (payload) => `hook ${payload.hook} failed: ${payload.message}`,
  'issue-blocked': (payload) => `blocked: ${payload.reason}`,
  'issue-done': (payload) => `done: ${payload.reason}`,
  'issue-released': (payload) => `released: ${payload.reason}`,
  'issue-requeued': (payload) => `put back in the queue (was: ${payload.previousReason})`,
  'issue-cancelled': (payload) => `cancelled: ${payload.reason}`,
};

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}… (${text.length - length} more characters)`;
}

function inputText(input: unknown): string {
  if (typeof input === 'string') return input;
  try {
    return JSON.stringify(input);
  } catch {
    return String(input);
  }
}

/**
 * A bounded history per item, built from the event stream, so an item page opened late still
 * shows what the agent did (text, tool calls and results) and the reactions so far. Memory is
 * bounded by every limit; everything kept was redacted when the event was published and is
 * redacted again here.
 */
export class ItemHistory {
  private readonly items = new Map<string, ItemRecord>();
  private readonly done: DoneItem[] = [];
  /** Titles seen in snapshots: events carry identifiers only, and done items leave the snapshot. */
  private readonly titles = new Map<string, string>();
  private readonly limits: Required<ItemHistoryLimits>;

  constructor(limits: ItemHistoryLimits = {}) {
    this.limits = {
      entriesPerItem: limits.entriesPerItem ?? 400,
      items: limits.items ?? 200,
      textLength: limits.textLength ?? 2_000,
      done: limits.done ?? 50,
    };
  }

  /** Takes one orchestrator event; events not about an item are ignored. */
  record(event: OrchestratorEvent): void {
    const payload = event.payload as { issueId?: string; issueIdentifier?: string };
    if (typeof payload.issueId !== 'string' || typeof payload.issueIdentifier !== 'string') return;
    const at = event.at.toISOString();
    const entry = this.entryFor(event);
    const item = this.itemFor(payload.issueId, payload.issueIdentifier);
    if (event.type === 'reaction-started') {
      item.reactions.push({ at, reaction: event.payload.reaction, attempt: event.payload.attempt });
      if (item.reactions.length > this.limits.entriesPerItem) item.reactions.shift();
    }
    if (event.type === 'issue-done') {
      this.done.unshift({
        issueId: payload.issueId,
        identifier: payload.issueIdentifier,
        title: this.titles.get(payload.issueId) ?? payload.issueIdentifier,
        reason: event.payload.reason,
        at,
      });
      if (this.done.length > this.limits.done) this.done.pop();
    }
    if (!entry) return;
    item.entries.push({ at, ...entry, text: clip(redactValue(entry.text), this.limits.textLength) });
    if (item.entries.length > this.limits.entriesPerItem)
      item.entries.splice(0, item.entries.length - this.limits.entriesPerItem);
  }

  /** The history of an item by issue id, or null when nothing was recorded for it. */
  of(
    issueId: string,
  ): { identifier: string; entries: HistoryEntry[]; reactions: ItemRecord['reactions'] } | null {
    const item = this.items.get(issueId);
    return item
      ? { identifier: item.identifier, entries: [...item.entries], reactions: [...item.reactions] }
      : null;
  }

  /** The issue id recorded for an identifier (case-insensitive), for items the snapshot no longer holds. */
  issueIdOf(identifier: string): string | null {
    const wanted = identifier.toLowerCase();
    for (const [issueId, item] of this.items) if (item.identifier.toLowerCase() === wanted) return issueId;
    return null;
  }

  /** Remembers the titles of the items in a snapshot (bounded like the items). */
  rememberTitles(items: Iterable<{ issueId: string; title: string }>): void {
    for (const { issueId, title } of items) {
      this.titles.delete(issueId);
      this.titles.set(issueId, title);
    }
    while (this.titles.size > this.limits.items * 2) {
      const oldest = this.titles.keys().next().value;
      if (oldest === undefined) break;
      this.titles.delete(oldest);
    }
  }

  /** Recently finished items, newest first. */
  recentlyDone(): DoneItem[] {
    return [...this.done];
  }

  /** The history line of an event, or null when the event is not worth one (usage, raw lines). */
  private entryFor(event: OrchestratorEvent): Omit<HistoryEntry, 'at'> | null {
    if (event.type === 'agent-event') {
      const agentEvent = event.payload.event;
      switch (agentEvent.type) {
        case 'text':
          return { kind: 'text', text: agentEvent.text };
        case 'tool-call':
          return { kind: 'tool-call', text: `${agentEvent.toolName} ${inputText(agentEvent.input)}` };
        case 'tool-result':
          return { kind: 'tool-result', text: `${agentEvent.isError ? '(error) ' : ''}${agentEvent.output}` };
        case 'error':
          return { kind: 'error', text: `${agentEvent.error.kind}: ${agentEvent.error.message}` };
        default:
          return null;
      }
    }
    const describe = describedEvents[event.type];
    return describe ? { kind: 'event', event: event.type, text: describe(event.payload) } : null;
  }

  private itemFor(issueId: string, identifier: string): ItemRecord {
    let item = this.items.get(issueId);
    if (item) {
      // Most recently active last, so the oldest is the first to go.
      this.items.delete(issueId);
    } else {
      item = { identifier, entries: [], reactions: [] };
    }
    this.items.set(issueId, item);
    if (this.items.size > this.limits.items) {
      const oldest = this.items.keys().next().value;
      if (oldest !== undefined) this.items.delete(oldest);
    }
    return item;
  }
}
