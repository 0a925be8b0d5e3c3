/** What a signal asks of a run: finish what is running, or cancel it now. */
export type StopRequest = 'drain' | 'abort';

export interface ShutdownSignals {
  /** Stops listening (the process then gets Node's default signal handling back). */
  dispose(): void;
}

/**
 * The first Ctrl-C (SIGINT) asks to drain: dispatch nothing new and let running agents
 * finish. The second asks to abort: cancel the agents (their process trees are killed) and
 * wait for them. A third exits at once, for a person who cannot wait; the next start stops any
 * agent process left behind. SIGTERM, sent by service managers, aborts at once.
 */
export function handleShutdownSignals(onStop: (request: StopRequest) => void): ShutdownSignals {
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) onStop('drain');
    else if (interrupts === 2) onStop('abort');
    else process.exit(130);
  };
  const onTerminate = () => onStop('abort');
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  return {
    dispose() {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
    },
  };
}
