/**
 * Agent kinds that cannot run at all right now (bad credentials, broken configuration).
 * Every issue would fail the same way, so new dispatches of a paused kind wait; a retry that
 * succeeds, or a changed workflow, makes the kind available again.
 */
export class AgentAvailability {
  private readonly paused = new Map<string, string>();

  /** Pauses `agentKind`; true when it was running until now (so the caller says so once). */
  pause(agentKind: string, reason: string): boolean {
    const wasAvailable = !this.paused.has(agentKind);
    this.paused.set(agentKind, reason);
    return wasAvailable;
  }

  /** A run of `agentKind` succeeded: it is available again. */
  markAvailable(agentKind: string): void {
    this.paused.delete(agentKind);
  }

  /** The workflow changed: its credentials or settings may be fixed, so every kind gets a try. */
  clear(): void {
    this.paused.clear();
  }

  /** Why `agentKind` is paused, or null when it may run. */
  reasonPaused(agentKind: string): string | null {
    return this.paused.get(agentKind) ?? null;
  }

  /** Paused kinds and why, for the snapshot. */
  list(): Array<{ agentKind: string; reason: string }> {
    return [...this.paused].map(([agentKind, reason]) => ({ agentKind, reason }));
  }
}
