/**
 * Regenerates the WORKFLOW.md reference in the root README from the zod schemas:
 * `pnpm exec node --conditions=@loompa/source --import tsx examples/cli/src/write-workflow-reference.ts`.
 * A test fails while the README differs from what this writes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { withWorkflowReference } from './workflow-reference.js';

const readmePath = fileURLToPath(new URL('../../../README.md', import.meta.url));
await writeFile(readmePath, withWorkflowReference(await readFile(readmePath, 'utf8')));
process.stdout.write(`updated ${readmePath}\n`);
