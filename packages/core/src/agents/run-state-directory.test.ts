import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withRunStateDirectory } from './run-state-directory.js';

describe('withRunStateDirectory', () => {
  it('uses the work item state directory and leaves it in place', async () => {
    const stateDirectory = mkdtempSync(path.join(os.tmpdir(), 'loompa-state-'));
    try {
      const used = await withRunStateDirectory(stateDirectory, 'loompa-test-', async (directory) => {
        writeFileSync(path.join(directory, 'session.json'), '{}');
        return directory;
      });
      expect(used).toBe(stateDirectory);
      expect(existsSync(path.join(stateDirectory, 'session.json'))).toBe(true);
    } finally {
      rmSync(stateDirectory, { recursive: true, force: true });
    }
  });

  it('makes a temporary directory with the prefix and removes it, also when the run throws', async () => {
    let temporary = '';
    const result = await withRunStateDirectory(undefined, 'loompa-test-', async (directory) => {
      temporary = directory;
      writeFileSync(path.join(directory, 'file'), 'x');
      return 'done';
    });
    expect(result).toBe('done');
    expect(path.basename(temporary)).toMatch(/^loompa-test-/);
    expect(existsSync(temporary)).toBe(false);

    const failure = await withRunStateDirectory(undefined, 'loompa-test-', async (directory) => {
      temporary = directory;
      throw new Error('agent crashed');
    }).catch((error: unknown) => error);
    expect((failure as Error).message).toBe('agent crashed');
    expect(existsSync(temporary)).toBe(false);
  });
});
