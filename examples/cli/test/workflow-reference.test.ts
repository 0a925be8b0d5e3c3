import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  referenceEnd,
  referenceStart,
  renderWorkflowReference,
  withWorkflowReference,
} from '../src/workflow-reference.js';

const readmePath = fileURLToPath(new URL('../../../README.md', import.meta.url));

describe('the WORKFLOW.md reference in README.md', () => {
  it('is exactly what the schemas generate (run write-workflow-reference.ts after changing a schema)', async () => {
    const readme = await readFile(readmePath, 'utf8');
    expect(readme).toContain(referenceStart);
    expect(readme).toContain(referenceEnd);
    expect(withWorkflowReference(readme)).toBe(readme);
  });

  it('lists core and plugin keys with their defaults and descriptions', () => {
    const reference = renderWorkflowReference();
    expect(reference).toContain(
      '| `agent.max_concurrent_agents` | `10` | Agents running at once, in total. |',
    );
    expect(reference).toContain('| `polling.interval_ms` | `30000` |');
    expect(reference).toContain('| `tracker.directory` | `".loompa/tasks"` |');
    expect(reference).toContain('`scm.checks`');
    expect(reference).toContain('`claude.permission_mode`');
    expect(reference).toContain('`budget.limit_usd`');
  });
});
