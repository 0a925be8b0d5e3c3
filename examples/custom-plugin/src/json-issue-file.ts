import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { TrackerError } from '@loompa/core';
import { z } from 'zod';

/** One comment on an issue; `key` marks a comment the orchestrator keeps up to date. */
const storedCommentSchema = z.object({ body: z.string(), key: z.string().optional() });

/** One issue as the JSON file holds it. Only `id` and `title` are required. */
export const storedIssueSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  description: z.string().nullable().default(null),
  state: z.string().default('todo'),
  priority: z.number().int().min(1).max(4).nullable().default(null),
  labels: z.array(z.string()).default([]),
  type: z.string().nullable().default(null),
  assignees: z.array(z.string()).default([]),
  blocked_by: z.array(z.string()).default([]),
  created_at: z.string().nullable().default(null),
  updated_at: z.string().nullable().default(null),
  comments: z.array(storedCommentSchema).default([]),
});

/** The whole file: `{ "issues": [ … ] }`. */
export const issueFileSchema = z.object({ issues: z.array(storedIssueSchema).default([]) });

export type StoredIssue = z.output<typeof storedIssueSchema>;
export type IssueFile = z.output<typeof issueFileSchema>;

/**
 * Reads and writes the issue file. Reads validate the content, so a hand-edit mistake is a
 * `TrackerError` naming the file and the field; writes go to a temporary file renamed over
 * the old one, so a reader never sees half a file; writes from this process run one at a time.
 */
export class JsonIssueFile {
  private writes: Promise<unknown> = Promise.resolve();
  /** How many times the file was read (the conformance suite checks that empty refreshes read nothing). */
  reads = 0;

  constructor(readonly filePath: string) {}

  async read(): Promise<IssueFile> {
    this.reads++;
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { issues: [] };
      throw new TrackerError(`Cannot read the issue file ${this.filePath}`, { cause: error });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new TrackerError(`${this.filePath} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const parsed = issueFileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TrackerError(`${this.filePath}: ${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  }

  /** Applies `change` to the current content and writes the result; changes never interleave. */
  update<Result>(change: (file: IssueFile) => Result): Promise<Result> {
    const next = this.writes.then(async () => {
      const file = await this.read();
      const result = change(file);
      const temporary = `${this.filePath}.${randomUUID()}.tmp`;
      await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`);
      await rename(temporary, this.filePath);
      return result;
    });
    this.writes = next.catch(() => {});
    return next;
  }
}
