import os from 'node:os';
import type { Task } from '@loompa/tracker-markdown';
import { type Command, InvalidArgumentError as InvalidOptionValueError, Option } from 'commander';
import type { openTaskTracker } from '../task-tracker.js';

/** Who a person's changes are recorded as: `--actor`, then `LOOMPA_ACTOR`, then the login name. */
function defaultActor(): string {
  if (process.env.LOOMPA_ACTOR) return process.env.LOOMPA_ACTOR;
  try {
    return os.userInfo().username;
  } catch {
    return 'person';
  }
}

function parsePriority(value: string): number {
  if (!/^[1-4]$/.test(value.trim())) {
    throw new InvalidOptionValueError(`must be 1 (urgent), 2 (high), 3 (normal) or 4 (low), got "${value}"`);
  }
  return Number(value);
}

function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ];
}

function taskAsJson(task: Task) {
  return {
    ...task,
    created: task.created?.toISOString() ?? null,
    updated: task.updated?.toISOString() ?? null,
  };
}

function describeTask(task: Task): string {
  const fields = [
    `${task.id}: ${task.title}`,
    `  status:     ${task.status}`,
    `  priority:   ${task.priority ?? '–'}`,
    `  type:       ${task.type ?? '–'}`,
    `  labels:     ${task.labels.length > 0 ? task.labels.join(', ') : '–'}`,
    `  assignee:   ${task.assignee ?? '–'}`,
    `  blocked by: ${task.blockedBy.length > 0 ? task.blockedBy.join(', ') : '–'}`,
    `  file:       ${task.filePath}`,
  ];
  if (task.description) fields.push('', task.description);
  if (task.activity.length > 0) {
    fields.push('', 'Activity:');
    for (const entry of task.activity) {
      fields.push(`  ${[entry.time, entry.actor, entry.text].filter(Boolean).join(' · ')}`);
    }
  }
  return fields.join('\n');
}

/** Runs `work` with the workflow's tracker and closes it, so batched git commits are made before exit. */
async function withTracker<Result>(
  command: Command,
  work: (tracker: Awaited<ReturnType<typeof openTaskTracker>>) => Promise<Result>,
): Promise<Result> {
  const workflow = (command.optsWithGlobals() as { workflow?: string }).workflow;
  // Loaded on use, so `loompa --help` does not pay for the tracker.
  const { openTaskTracker: open } = await import('../task-tracker.js');
  const tracker = await open(workflow);
  try {
    return await work(tracker);
  } finally {
    await tracker.close();
  }
}

const write = (text: string) => process.stdout.write(`${text}\n`);

/** `loompa task create|list|show|move|comment`: the markdown tracker from the shell. */
export function addTaskCommands(program: Command): void {
  const task = program
    .command('task')
    .description('create, list, show, move and comment on markdown tasks')
    .option(
      '-w, --workflow <file>',
      'WORKFLOW.md naming the task folder and states (default: ./WORKFLOW.md)',
    );

  task
    .command('create')
    .description('create a task with the next free id')
    .argument('<title>', 'the task title')
    .option('-d, --description <text>', 'the task description (markdown)')
    .addOption(
      new Option('-p, --priority <1-4>', '1 urgent, 2 high, 3 normal, 4 low').argParser(parsePriority),
    )
    .option('-t, --type <type>', 'the task type, e.g. bug or feature')
    .option('-l, --label <labels>', 'labels (repeat, or separate with commas)', collect)
    .option('-s, --status <status>', 'starting status (default: the first active state)')
    .option('--assignee <name>', 'who the task is assigned to')
    .option('--blocked-by <ids>', 'ids of tasks that must finish first (repeat, or commas)', collect)
    .option('--actor <name>', 'who the activity line names')
    .option('--json', 'print the task as JSON')
    .action(async (title: string, options, command: Command) => {
      const created = await withTracker(command, (tracker) =>
        tracker.tasks.createTask(
          {
            title,
            ...(options.description === undefined ? {} : { description: options.description }),
            ...(options.priority === undefined ? {} : { priority: options.priority }),
            ...(options.type === undefined ? {} : { type: options.type }),
            ...(options.label === undefined ? {} : { labels: options.label }),
            ...(options.status === undefined ? {} : { status: options.status }),
            ...(options.assignee === undefined ? {} : { assignee: options.assignee }),
            ...(options.blockedBy === undefined ? {} : { blockedBy: options.blockedBy }),
          },
          { actor: options.actor ?? defaultActor() },
        ),
      );
      write(
        options.json
          ? JSON.stringify(taskAsJson(created))
          : `Created ${created.id}: ${created.title} (${created.status})`,
      );
    });

  task
    .command('list')
    .description('list tasks, sorted by id')
    .option('-s, --status <statuses>', 'only these statuses (repeat, or commas)', collect)
    .option('-l, --label <labels>', 'only tasks carrying all these labels (repeat, or commas)', collect)
    .option('--text <text>', 'only tasks whose id, title or description contains this')
    .option('--json', 'print one JSON object per task')
    .action(async (options, command: Command) => {
      const { tasks, problems } = await withTracker(command, (tracker) =>
        tracker.tasks.listTasks({
          ...(options.status ? { status: options.status } : {}),
          ...(options.label ? { label: options.label } : {}),
          ...(options.text ? { text: options.text } : {}),
        }),
      );
      for (const problem of problems) {
        process.stderr.write(
          `skipped ${problem.filePath}${problem.line === null ? '' : `:${problem.line}`}: ${problem.message}\n`,
        );
      }
      if (options.json) {
        for (const item of tasks) write(JSON.stringify(taskAsJson(item)));
      } else if (tasks.length === 0) {
        write('No tasks.');
      } else {
        // The table library is loaded only here, so `loompa --help` never pays for it.
        const { renderTable } = await import('../render-table.js');
        write(
          renderTable(
            ['Id', 'Status', 'Priority', 'Title', 'Labels'],
            tasks.map((item) => [
              item.id,
              item.status,
              String(item.priority ?? '–'),
              item.title,
              item.labels.join(', '),
            ]),
          ),
        );
      }
    });

  task
    .command('show')
    .description('show a task with its description and activity')
    .argument('<id>', 'the task id, e.g. TASK-3 (case-insensitive)')
    .option('--json', 'print the task as JSON')
    .action(async (id: string, options, command: Command) => {
      const found = await withTracker(command, (tracker) => tracker.tasks.showTask(id));
      write(options.json ? JSON.stringify(taskAsJson(found)) : describeTask(found));
    });

  task
    .command('move')
    .description('move a task to another status')
    .argument('<id>', 'the task id')
    .argument('<status>', 'the new status, e.g. "in progress" or done')
    .option('--actor <name>', 'who the activity line names')
    .action(async (id: string, status: string, options, command: Command) => {
      const moved = await withTracker(command, (tracker) =>
        tracker.tasks.moveTask(id, status, { actor: options.actor ?? defaultActor() }),
      );
      write(`Moved ${moved.id} to ${moved.status}`);
    });

  task
    .command('comment')
    .description("append a comment to a task's activity")
    .argument('<id>', 'the task id')
    .argument('<body>', 'the comment')
    .option('--actor <name>', 'who the activity line names')
    .action(async (id: string, body: string, options, command: Command) => {
      const commented = await withTracker(command, (tracker) =>
        tracker.tasks.commentOnTask(id, body, { actor: options.actor ?? defaultActor() }),
      );
      write(`Commented on ${commented.id}`);
    });
}
