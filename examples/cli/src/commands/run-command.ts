import { mkdir } from 'node:fs/promises';
import { createJsonLogger, createOrchestrator, type LogLevel, type Workflow } from '@loompa/core';
import { type LoompaHttpServer, startLoompaHttpServer, toEventLine } from '@loompa/dashboard';
import { createBullmqRunner } from '@loompa/runner-bullmq';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { removeInstanceRecord, writeInstanceRecord } from '../instance-record.js';
import { loadCliWorkflow } from '../loompa-plugin-schemas.js';
import { loompaPlugins } from '../loompa-plugins.js';
import { ProgressView, renderRunSummary } from '../progress-view.js';
import { RunSummary } from '../run-summary.js';
import { handleShutdownSignals, type StopRequest } from '../shutdown-signals.js';
import { describeStartFailure, resolveWorkflowPath } from '../workflow-file.js';

export interface RunCommandOptions {
  once?: boolean;
  dryRun?: boolean;
  json?: boolean;
  stateDir?: string;
  port?: number;
  /** Where `--port` listens (default 127.0.0.1); beyond loopback the API needs LOOMPA_API_TOKEN. */
  host?: string;
  logLevel?: LogLevel;
  /** Run agents on `loompa worker` processes through this Redis instead of in this process. */
  redis?: string;
  /** Labels a worker needs to take this workflow's runs. */
  runnerLabels?: string[];
}

/**
 * `loompa run`: builds the orchestrator from the workflow with every plugin registered, runs
 * it (once, or until stopped), and reports on the terminal or as JSON lines on stdout.
 */
export async function runCommand(
  workflowArgument: string | undefined,
  options: RunCommandOptions,
): Promise<ExitCode> {
  const workflowPath = resolveWorkflowPath(workflowArgument);
  const stderr = process.stderr;
  let workflow: Workflow;
  try {
    // Validate first so an invalid workflow is reported with every problem before anything starts.
    workflow = await loadCliWorkflow(workflowPath);
  } catch (error) {
    for (const line of describeStartFailure(error)) stderr.write(`${line}\n`);
    return exitCodes.failure;
  }

  const json = options.json ?? false;
  const logLevel = options.logLevel ?? (json ? 'info' : 'warn');
  const view = json
    ? null
    : new ProgressView({
        stream: process.stdout,
        live: process.stdout.isTTY === true && (process.stdout.columns ?? 0) > 0,
      });
  const note = (message: string) => {
    if (view) view.print(message);
    else stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', message })}\n`);
  };
  const runner = options.redis
    ? createBullmqRunner({
        redis: options.redis,
        labels: options.runnerLabels ?? [],
        logger: createJsonLogger({ level: logLevel }),
      })
    : null;
  const orchestrator = createOrchestrator({
    workflowPath,
    ...loompaPlugins,
    ...(runner ? { runner } : {}),
    dryRun: options.dryRun ?? false,
    ...(options.stateDir ? { stateDirectory: options.stateDir } : {}),
    // On a terminal, log lines pass through the view so they never tear its live area.
    logger: view ? view.logger(logLevel) : createJsonLogger({ level: logLevel }),
  });
  const summary = new RunSummary();
  orchestrator.events.on('event', summary.record);
  if (view) view.start(orchestrator);
  else orchestrator.events.on('event', (event) => process.stdout.write(`${toEventLine(event)}\n`));

  let stopping: Promise<void> | null = null;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  const stop = (request: StopRequest) => {
    note(
      request === 'drain'
        ? 'Stopping: nothing new starts and running agents finish. Press Ctrl-C again to cancel them.'
        : 'Cancelling the running agents…',
    );
    const current = orchestrator.stop({ drain: request === 'drain' });
    stopping = (stopping ? Promise.all([stopping, current]).then(() => {}) : current).finally(markStopped);
  };
  const signals = handleShutdownSignals(stop);

  const stateDirectory = options.stateDir ?? workflow.config.workspace.state_directory;
  let service: LoompaHttpServer | null = null;
  let exitCode: ExitCode = exitCodes.success;
  try {
    await runner?.ready();
    if (options.port !== undefined) {
      service = await startLoompaHttpServer({
        orchestrator,
        port: options.port,
        token: process.env.LOOMPA_API_TOKEN || workflow.config.server.api_token,
        ...(options.host ? { host: options.host } : {}),
      });
      await mkdir(stateDirectory, { recursive: true });
      await writeInstanceRecord(stateDirectory, {
        pid: process.pid,
        url: service.url,
        workflowPath,
        startedAt: new Date().toISOString(),
      });
      note(`Serving the Loompa dashboard at ${service.url}/ and the API at ${service.url}/api/v1/state`);
    }
    if (options.once) {
      await Promise.race([orchestrator.runOnce(), stopped]);
    } else {
      await orchestrator.start();
      await stopped;
    }
  } catch (error) {
    for (const line of describeStartFailure(error)) stderr.write(`${line}\n`);
    exitCode = exitCodes.failure;
  } finally {
    // Signals stay handled until the stop is complete, so a second Ctrl-C still aborts cleanly.
    await (stopping ?? orchestrator.stop());
    signals.dispose();
    await service?.close();
    await runner?.close();
    if (service) await removeInstanceRecord(stateDirectory);
    view?.stop();
  }
  if (view && exitCode === exitCodes.success) {
    process.stdout.write(`${renderRunSummary(summary, orchestrator.snapshot())}\n`);
  }
  return exitCode;
}
