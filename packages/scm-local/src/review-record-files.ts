import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeJsonFileAtomically } from './atomic-json-file.js';

/**
 * A person's review, as a JSON file in `<state>/reviews/` (any name ending in `.json`). The
 * `approve`/`requestChanges` methods write the same files, so both paths behave alike.
 * Documented in the package README.
 */
export const reviewRecordFileSchema = z.object({
  branch: z.string().min(1),
  reviewer: z.string().min(1),
  verdict: z.enum(['approved', 'changes_requested']).nullable().default(null),
  /** The commit reviewed; the branch head at the time the file is read when absent. */
  head_sha: z
    .string()
    .regex(/^[0-9a-f]{40,64}$/)
    .nullable()
    .default(null),
  comments: z
    .array(
      z.object({
        path: z.string().min(1).nullable().default(null),
        line: z.number().int().positive().nullable().default(null),
        body: z.string().trim().min(1),
      }),
    )
    .default([]),
  created_at: z.iso.datetime({ offset: true }).nullable().default(null),
});

export type ReviewRecordFile = z.output<typeof reviewRecordFileSchema>;

export interface ReadReviewFile {
  name: string;
  review: ReviewRecordFile | null;
  /** Why the file could not be used; it is read again next time, so it can be fixed. */
  problem: string | null;
}

export function reviewsDirectory(stateDirectory: string): string {
  return path.join(stateDirectory, 'reviews');
}

/** Every review file, oldest name first; unreadable ones come back with their problem. */
export async function readReviewFiles(stateDirectory: string): Promise<ReadReviewFile[]> {
  const directory = reviewsDirectory(stateDirectory);
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: ReadReviewFile[] = [];
  for (const name of names.filter((candidate) => candidate.endsWith('.json')).sort()) {
    let value: unknown;
    try {
      value = JSON.parse(await fs.readFile(path.join(directory, name), 'utf8'));
    } catch (error) {
      files.push({ name, review: null, problem: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    const parsed = reviewRecordFileSchema.safeParse(value);
    if (parsed.success) {
      files.push({ name, review: parsed.data, problem: null });
    } else {
      const problem = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      files.push({ name, review: null, problem });
    }
  }
  return files;
}

/** Writes a review file; the name sorts by time so reviews apply in the order given. */
export async function writeReviewFile(stateDirectory: string, review: ReviewRecordFile): Promise<string> {
  const safeReviewer = review.reviewer.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 40);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = `${stamp}-${safeReviewer}-${randomUUID().slice(0, 8)}.json`;
  await writeJsonFileAtomically(path.join(reviewsDirectory(stateDirectory), name), review);
  return name;
}
