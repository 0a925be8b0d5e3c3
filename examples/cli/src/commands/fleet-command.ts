import { createFleet, createJsonLogger, type LogLevel } from '@loompa/core';
import { toEventLine } from '@loompa/dashboard';
import { createBullmqRunner } from '@loompa/runner-bullmq';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { loompaPlugins } from '../loompa-plugins.js';
import { handleShutdownSignals, type StopRequest } from '../shutdown-signals.js';
import { describeStartFailure, resolveWorkflowPath } from '../workflow-file.js';

export interface FleetCommandOptions {
  logLevel?: LogLevel;
  redis?: string;
  runnerLabels?: string[];
  fleetMaxAgents?: number;
}

/**
 * `loompa run a/WORKFLOW.md b/WORKFLOW.md`: one orchestrator per workflow under one shared,
 * fair agent limit. Events are JSON lines on stdout with the `project` they belong to (the
 * workflow's folder name); logs go to stderr. Ctrl-C drains, a second Ctrl-C cancels.
 */
export async function fleetCommand(
  workflowArguments: string[],
  options: FleetCommandOptions,
): Promise<ExitCode> {
  const logger = createJsonLogger({ level: options.logLevel ?? 'info' });
  const runner = options.redis
    ? createBullmqRunner({ redis: options.redis, labels: options.runnerLabels ?? [], logger })
    : null;
  const fleet = createFleet({
    projects: workflowArguments.map((workflow) => ({
      workflowPath: resolveWorkflowPath(workflow),
      ...loompaPlugins,
      ...(runner ? { runner } : {}),
    })),
    ...(options.fleetMaxAgents ? { maxConcurrentAgents: options.fleetMaxAgents } : {}),
    logger,
  });
  fleet.onEvent((event) => {
    const line = JSON.parse(toEventLine(event)) as Record<string, unknown>;
    process.stdout.write(`${JSON.stringify({ project: event.project, ...line })}\n`);
  });
  let stopping: Promise<void> | null = null;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  const signals = handleShutdownSignals((request: StopRequest) => {
    const current = fleet.stop({ drain: request === 'drain' });
    stopping = (stopping ? Promise.all([stopping, current]).then(() => {}) : current).finally(markStopped);
  });
  let exitCode: ExitCode = exitCodes.success;
  try {
    await runner?.ready();
    await fleet.start();
    await stopped;
  } catch (error) {
    for (const line of describeStartFailure(error)) process.stderr.write(`${line}\n`);
    exitCode = exitCodes.failure;
  } finally {
    await (stopping ?? fleet.stop());
    signals.dispose();
    await runner?.close();
  }
  return exitCode;
}
