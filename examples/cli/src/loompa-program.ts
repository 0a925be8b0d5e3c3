import { Command, InvalidArgumentError as InvalidOptionValueError, Option } from 'commander';
import { addTaskCommands } from './commands/task-command.js';
import type { ExitCode } from './exit-codes.js';
import { parseDate, parseDimensions } from './option-parsers.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidOptionValueError('must be a port number from 0 to 65535 (0: any free port)');
  }
  return port;
}

function parsePositive(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidOptionValueError('must be a whole number of 1 or more');
  return number;
}

function parseLabels(value: string): string[] {
  return value
    .split(',')
    .map((label) => label.trim())
    .filter(Boolean);
}

// Commands are imported when they run: each pulls in different plugins, and help needs none.

/**
 * The `loompa` command line. Actions report their exit code through `setExitCode`; usage
 * errors surface as commander errors, which `main` turns into exit code 2.
 */
export function createLoompaProgram(setExitCode: (code: ExitCode) => void): Command {
  const program = new Command('loompa')
    .description('Orchestrate AI coding agents on issue-tracker work, configured by a WORKFLOW.md.')
    .version('0.1.0')
    .showHelpAfterError('(run `loompa --help` for usage)')
    .exitOverride();

  program
    .command('run')
    .description(
      'run the orchestrator of a workflow until stopped (Ctrl-C drains, a second Ctrl-C cancels agents)',
    )
    .argument('[workflows...]', 'the WORKFLOW.md to run; several run as one fleet', ['WORKFLOW.md'])
    .option('--once', 'run one tick, wait for the agents it started, and exit')
    .option('--dry-run', 'decide and report, but start no agent and write nothing')
    .option(
      '--json',
      'print one JSON object per event on stdout (type, at, issue, payload); logs go to stderr',
    )
    .option('--state-dir <dir>', 'keep state here instead of workspace.state_directory')
    .addOption(
      new Option('--port <port>', 'also serve the dashboard and HTTP API (0: any free port)').argParser(
        parsePort,
      ),
    )
    .option(
      '--host <address>',
      'where --port listens (default 127.0.0.1; beyond loopback the API needs LOOMPA_API_TOKEN)',
    )
    .addOption(
      new Option('--log-level <level>', 'lowest log level shown').choices(['debug', 'info', 'warn', 'error']),
    )
    .option('--redis <url>', 'run agents on `loompa worker` processes through this Redis (redis://host:port)')
    .addOption(
      new Option('--runner-labels <labels>', 'labels a worker needs to take these runs (e.g. gpu)').argParser(
        parseLabels,
      ),
    )
    .addOption(
      new Option(
        '--fleet-max-agents <count>',
        'with several workflows: agents at once over all of them (else fleet.max_concurrent_agents)',
      ).argParser(parsePositive),
    )
    .action(async (workflows: string[], options) => {
      if (workflows.length > 1) {
        setExitCode(await (await import('./commands/fleet-command.js')).fleetCommand(workflows, options));
        return;
      }
      setExitCode(await (await import('./commands/run-command.js')).runCommand(workflows[0], options));
    });

  program
    .command('validate')
    .description('check a workflow and print every problem with file, line, YAML path and what was expected')
    .argument('[workflow]', 'the WORKFLOW.md to check', 'WORKFLOW.md')
    .option('--json', 'print { valid, file, problems } as JSON')
    .action(async (workflow: string, options) =>
      setExitCode(await (await import('./commands/validate-command.js')).validateCommand(workflow, options)),
    );

  addTaskCommands(program);

  program
    .command('budget')
    .description(
      'show spend and what remains of each limit, then spend by day, issue, focus, profile and model',
    )
    .argument('[workflow]', 'the WORKFLOW.md whose budget to show', 'WORKFLOW.md')
    .option('--state-dir <dir>', 'read the ledger here instead of workspace.state_directory')
    .addOption(new Option('--from <date>', 'only spend from this date (inclusive)').argParser(parseDate))
    .addOption(new Option('--to <date>', 'only spend before this date').argParser(parseDate))
    .addOption(
      new Option('--by <dimensions>', 'tables to show: day,issue,focus,profile,model').argParser(
        parseDimensions,
      ),
    )
    .option('--json', 'print the status and report as JSON')
    .action(async (workflow: string, options) =>
      setExitCode(await (await import('./commands/budget-command.js')).budgetCommand(workflow, options)),
    );

  program
    .command('worker')
    .description(
      'take agent runs from the Redis queue of `loompa run --redis` on this machine (Ctrl-C lets runs finish)',
    )
    .option('--redis <url>', 'the Redis the orchestrators use (default: $LOOMPA_REDIS_URL)')
    .addOption(
      new Option('--concurrency <count>', 'runs at once on this machine').default(1).argParser(parsePositive),
    )
    .addOption(
      new Option(
        '--labels <labels>',
        'what this machine offers, comma-separated (e.g. gpu,docker)',
      ).argParser(parseLabels),
    )
    .option('--directory <dir>', 'repository cache, worktrees and agent homes (default: ~/.loompa/worker)')
    .option('--queue <name>', 'the queue base name (default: loompa-runs)')
    .option('--prefix <prefix>', 'the BullMQ key prefix (default: bull)')
    .addOption(
      new Option('--lock-duration <ms>', 'a worker silent this long is taken for dead').argParser(
        parsePositive,
      ),
    )
    .addOption(
      new Option('--stalled-interval <ms>', 'how often dead workers are looked for').argParser(parsePositive),
    )
    .option('--name <name>', 'this worker in logs (default: host/pid)')
    .addOption(
      new Option('--log-level <level>', 'lowest log level shown').choices(['debug', 'info', 'warn', 'error']),
    )
    .action(async (options) =>
      setExitCode(await (await import('./commands/worker-command.js')).workerCommand(options)),
    );

  program
    .command('babysit')
    .description(
      'babysit a change request Loompa did not open: fix its checks, answer reviews, rebase it (kept across restarts)',
    )
    .argument('<change-request>', 'its number (12, #12, !12), its URL, or with scm-local a branch')
    .argument('[workflow]', 'the WORKFLOW.md whose orchestrator babysits it', 'WORKFLOW.md')
    .option('--state-dir <dir>', 'the state directory to write to instead of the workflow’s')
    .action(async (reference: string, workflow: string, options) =>
      setExitCode(
        await (await import('./commands/babysit-command.js')).babysitCommand(reference, workflow, options),
      ),
    );

  program
    .command('status')
    .description(
      "show a running instance's snapshot (found through its state directory or --url), or the stored state",
    )
    .argument('[workflow]', 'the WORKFLOW.md whose instance to show', 'WORKFLOW.md')
    .option('--url <url>', 'base URL of a running instance, e.g. http://127.0.0.1:4100')
    .option('--state-dir <dir>', 'the state directory to look in instead of the workflow’s')
    .option('--json', 'print the snapshot as JSON')
    .action(async (workflow: string, options) =>
      setExitCode(await (await import('./commands/status-command.js')).statusCommand(workflow, options)),
    );

  return program;
}
