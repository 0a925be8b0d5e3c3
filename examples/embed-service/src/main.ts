/**
 * A service embedding Loompa: `pnpm --filter @loompa/embed-service start [WORKFLOW.md] [port]`.
 * It runs the orchestrator with the markdown tracker, the local SCM provider and the
 * built-in `command` agent, sends the workflow's `notifications:` to their webhooks, serves the
 * API on 127.0.0.1, and stops cleanly on Ctrl-C.
 */
import { createJsonLogger, createOrchestrator } from '@loompa/core';
import { notificationsPlugin } from '@loompa/notifications';
import { localScm } from '@loompa/scm-local';
import { markdownTracker } from '@loompa/tracker-markdown';
import { startLoompaService } from './start-loompa-service.js';

const workflowPath = process.argv[2] ?? 'WORKFLOW.md';
const port = Number(process.argv[3] ?? 4100);
const logger = createJsonLogger();

const orchestrator = createOrchestrator({
  workflowPath,
  trackers: { markdown: markdownTracker },
  scms: { local: localScm },
  notifier: notificationsPlugin,
  logger,
});
await orchestrator.start();
const service = await startLoompaService({ orchestrator, port, logger });
logger.info('serving the Loompa API and dashboard', { url: service.url });

process.once('SIGINT', async () => {
  await service.close();
  await orchestrator.stop({ drain: true });
});
