import matter from 'gray-matter';
import { isMap, isScalar, parseDocument, YAMLParseError, Document as YamlDocument } from 'yaml';
import type { ActivityEntry, Task, TaskFileProblem, TaskPatch } from './task.js';

/**
 * The task file format: YAML front matter, a markdown description, and an `## Activity`
 * section the tracker only ever appends to. Front matter is split by hand (gray-matter accepts
 * an unclosed block or a `----` line as the end) because edits must keep every byte outside the
 * changed keys, and problems must carry the file's own line numbers.
 *
 * Two YAML parsers, each where it is best: listing parses with gray-matter's js-yaml engine
 * (several times faster, which matters at 10,000 files); edits use `yaml`'s document model,
 * which keeps comments, order and unknown keys, and which also words every error report.
 */

// gray-matter exposes its engines on the function (index.js "Expose engines"); its types do not.
const fastYaml = (matter as unknown as { engines: { yaml: { parse(text: string): unknown } } }).engines.yaml;
const textFields = ['id', 'title', 'status', 'type', 'assignee'] as const;

const activityHeadingPattern = /^##[ \t]+activity[ \t]*$/i;
const sectionHeadingPattern = /^##[ \t]/;
const activitySeparator = ' · ';
const yamlOutputOptions = { lineWidth: 0, flowCollectionPadding: false } as const;

/** A task file cut into its parts, keeping every byte. */
interface TaskFileParts {
  /** Everything up to and including the opening `---` line. */
  opening: string;
  frontMatter: string;
  /** The closing `---` line and everything after it. */
  rest: string;
  body: string;
}

/** A file that cannot be read as a task; carries the line for the problem report. */
export class TaskFileFormatError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
  }
}

function splitTaskFile(text: string): TaskFileParts {
  const opening = /^\uFEFF?---[ \t]*\r?\n/.exec(text);
  if (!opening) {
    throw new TaskFileFormatError('the file does not start with YAML front matter (a "---" line)', 1);
  }
  const afterOpening = text.slice(opening[0].length);
  const closing = /(^|\n)---[ \t]*(\r?\n|$)/.exec(afterOpening);
  if (!closing) {
    throw new TaskFileFormatError('the front matter is never closed (no second "---" line)', 1);
  }
  const frontMatterEnd = closing.index + closing[1]!.length;
  return {
    opening: opening[0],
    frontMatter: afterOpening.slice(0, frontMatterEnd),
    rest: afterOpening.slice(frontMatterEnd),
    body: afterOpening.slice(closing.index + closing[0].length),
  };
}

function readFrontMatter(parts: TaskFileParts): YamlDocument {
  const document = parseDocument(parts.frontMatter);
  const [firstError] = document.errors;
  if (firstError) {
    const line = firstError instanceof YAMLParseError && firstError.linePos ? firstError.linePos[0].line : 1;
    // The front matter starts on the file's second line.
    throw new TaskFileFormatError(
      `invalid YAML front matter: ${firstError.message.split('\n')[0]}`,
      line + 1,
    );
  }
  if (document.contents !== null && !isMap(document.contents)) {
    throw new TaskFileFormatError('the front matter must be a YAML mapping of fields', 2);
  }
  return document;
}

/**
 * The front matter as plain data. js-yaml reads YAML 1.1 timestamps as dates where `yaml` (1.2)
 * keeps strings; a text field read as a date, or any js-yaml error, is settled by `yaml`, so
 * both parsers always agree on what a file says.
 */
function readFrontMatterData(parts: TaskFileParts): Record<string, unknown> {
  let data: unknown;
  try {
    data = fastYaml.parse(parts.frontMatter);
  } catch {
    data = undefined;
  }
  const settled =
    data === null ||
    (typeof data === 'object' &&
      !Array.isArray(data) &&
      !(data instanceof Date) &&
      !textFields.some((field) => (data as Record<string, unknown>)[field] instanceof Date));
  if (settled) return (data ?? {}) as Record<string, unknown>;
  return (readFrontMatter(parts).toJS() ?? {}) as Record<string, unknown>;
}

function lineOfKey(document: YamlDocument, parts: TaskFileParts, key: string): number {
  const contents = document.contents;
  if (isMap(contents)) {
    const pair = contents.items.find((item) => isScalar(item.key) && item.key.value === key);
    const offset = (pair?.key as { range?: [number, number] } | undefined)?.range?.[0];
    if (offset !== undefined) return parts.frontMatter.slice(0, offset).split('\n').length + 1;
  }
  return 2;
}

function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function stringListField(value: unknown, field: string, lineOf: (key: string) => number): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (const item of value) {
      const text = scalarText(item);
      if (text === null) throw new TaskFileFormatError(`"${field}" must be a list of names`, lineOf(field));
      items.push(text);
    }
    return items;
  }
  throw new TaskFileFormatError(`"${field}" must be a list of names`, lineOf(field));
}

function dateField(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function priorityField(value: unknown): number | null {
  const number = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= 4 ? number : null;
}

/** Reads one activity line in the tracker's `- time · actor · text` format; other lines are kept as text. */
export function parseActivityLine(line: string): ActivityEntry {
  const content = line.replace(/^[-*][ \t]+/, '').trim();
  const parts = content.split(activitySeparator);
  if (parts.length >= 3 && !Number.isNaN(Date.parse(parts[0]!))) {
    return { time: parts[0]!, actor: parts[1]!, text: parts.slice(2).join(activitySeparator) };
  }
  return { time: null, actor: null, text: content };
}

/** Renders an event as one activity line; newlines in `text` are folded so the event stays one line. */
export function formatActivityLine(entry: { time: Date; actor: string; text: string }): string {
  const text = entry.text.trim().replace(/\s*\r?\n\s*/g, ' ');
  const actor = entry.actor.trim().replace(/\s+/g, ' ').replaceAll(activitySeparator, ' ');
  return `- ${entry.time.toISOString()}${activitySeparator}${actor}${activitySeparator}${text}`;
}

function splitBody(body: string): { description: string | null; activity: ActivityEntry[] } {
  const descriptionLines: string[] = [];
  const activity: ActivityEntry[] = [];
  let inActivity = false;
  for (const line of body.split(/\r?\n/)) {
    if (sectionHeadingPattern.test(line)) inActivity = activityHeadingPattern.test(line.trim());
    if (inActivity) {
      if (/^[-*][ \t]+\S/.test(line)) activity.push(parseActivityLine(line));
      continue;
    }
    descriptionLines.push(line);
  }
  const description = descriptionLines.join('\n').trim();
  return { description: description === '' ? null : description, activity };
}

/**
 * Parses a task file. Throws `TaskFileFormatError` (with the line) for bad YAML or a missing
 * id or title; everything else is read leniently, as the orchestrator's `Issue` rules say.
 */
export function parseTaskFile(text: string, filePath: string, defaultStatus: string): Task {
  const parts = splitTaskFile(text);
  const data = readFrontMatterData(parts);
  // The document model (slower) is built only to locate a problem.
  const lineOf = (key: string) => lineOfKey(readFrontMatter(parts), parts, key);
  const id = scalarText(data.id);
  if (id === null) throw new TaskFileFormatError('the front matter has no "id"', lineOf('id'));
  if (!/^[^\s/\\]+$/.test(id)) {
    throw new TaskFileFormatError(`the id "${id}" contains spaces or slashes`, lineOf('id'));
  }
  const title = scalarText(data.title);
  if (title === null) throw new TaskFileFormatError('the front matter has no "title"', lineOf('title'));
  const { description, activity } = splitBody(parts.body);
  return {
    id,
    title,
    status: scalarText(data.status) ?? defaultStatus,
    priority: priorityField(data.priority),
    type: scalarText(data.type),
    labels: stringListField(data.labels, 'labels', lineOf),
    assignee: scalarText(data.assignee),
    blockedBy: stringListField(data.blocked_by, 'blocked_by', lineOf),
    created: dateField(data.created),
    updated: dateField(data.updated),
    description,
    activity,
    filePath,
  };
}

/** Parses a file and turns a format error into a problem report. */
export function readTaskFile(
  text: string,
  filePath: string,
  defaultStatus: string,
): { task: Task } | { problem: TaskFileProblem } {
  try {
    return { task: parseTaskFile(text, filePath, defaultStatus) };
  } catch (error) {
    if (!(error instanceof TaskFileFormatError)) throw error;
    return { problem: { filePath, line: error.line, message: error.message } };
  }
}

const frontMatterKeys: Record<keyof TaskPatch, string> = {
  title: 'title',
  status: 'status',
  priority: 'priority',
  type: 'type',
  labels: 'labels',
  assignee: 'assignee',
  blockedBy: 'blocked_by',
};

function applyPatch(document: YamlDocument, patch: TaskPatch & { updated: Date }): void {
  for (const [field, key] of Object.entries(frontMatterKeys) as Array<[keyof TaskPatch, string]>) {
    if (!(field in patch) || patch[field] === undefined) continue;
    const value = patch[field];
    if (value === null) document.delete(key);
    else if (Array.isArray(value)) document.set(key, document.createNode([...value], { flow: true }));
    else document.set(key, value);
  }
  document.set('updated', patch.updated.toISOString());
}

function appendLine(text: string, line: string): string {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const ended = text.endsWith('\n') ? text : text + newline;
  return ended + line + newline;
}

function endsInActivitySection(body: string): boolean {
  const headings = body.split(/\r?\n/).filter((line) => sectionHeadingPattern.test(line));
  const last = headings[headings.length - 1];
  return last !== undefined && activityHeadingPattern.test(last.trim());
}

/**
 * Changes front matter keys in place (keeping comments, order and unknown keys) and appends one
 * activity line at the end. Lines above the appended one are never rewritten.
 */
export function editTaskFile(
  text: string,
  patch: TaskPatch,
  event: { time: Date; actor: string; text: string } | null,
): string {
  const parts = splitTaskFile(text);
  const document = readFrontMatter(parts);
  applyPatch(document, { ...patch, updated: event?.time ?? new Date() });
  let edited = parts.opening + document.toString(yamlOutputOptions) + parts.rest;
  if (event) {
    if (!endsInActivitySection(parts.body)) edited = appendLine(appendLine(edited, ''), '## Activity\n');
    edited = appendLine(edited, formatActivityLine(event));
  }
  return edited;
}

/** Renders a new task file. */
export function renderNewTaskFile(
  fields: {
    id: string;
    title: string;
    status: string;
    priority: number | null;
    type: string | null;
    labels: readonly string[];
    assignee: string | null;
    blockedBy: readonly string[];
    description: string | null;
  },
  event: { time: Date; actor: string; text: string },
): string {
  const frontMatter = new YamlDocument();
  frontMatter.set('id', fields.id);
  frontMatter.set('title', fields.title);
  frontMatter.set('status', fields.status);
  if (fields.priority !== null) frontMatter.set('priority', fields.priority);
  if (fields.type !== null) frontMatter.set('type', fields.type);
  frontMatter.set('labels', frontMatter.createNode([...fields.labels], { flow: true }));
  if (fields.assignee !== null) frontMatter.set('assignee', fields.assignee);
  frontMatter.set('blocked_by', frontMatter.createNode([...fields.blockedBy], { flow: true }));
  frontMatter.set('created', event.time.toISOString());
  frontMatter.set('updated', event.time.toISOString());
  const description = fields.description?.trim() ? `\n${fields.description.trim()}\n` : '';
  return `---\n${frontMatter.toString(yamlOutputOptions)}---\n${description}\n## Activity\n\n${formatActivityLine(event)}\n`;
}
