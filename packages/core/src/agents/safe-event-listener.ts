import type { AgentEvent, AgentRunOptions } from '../specifications/agent-backend.js';

/**
 * Wraps a run's `onEvent` so a listener that throws cannot take the agent run down with it:
 * events are emitted from stream callbacks, where an exception would crash the process.
 */
export function safeEventListener(onEvent: AgentRunOptions['onEvent']): (event: AgentEvent) => void {
  if (!onEvent) return () => {};
  return (event) => {
    try {
      onEvent(event);
    } catch {
      // The listener's failure is its own; the run goes on.
    }
  };
}
