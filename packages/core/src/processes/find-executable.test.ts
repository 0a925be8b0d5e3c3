import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable, isExecutable } from './find-executable.js';

let directory = '';
beforeEach(() => {
  directory = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'loompa-find-executable-')));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

function writeFile(file: string, mode: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, mode);
  return file;
}

// A name no machine has on its PATH or in the repository's node_modules.
const command = 'loompa-test-agent-cli';

describe('isExecutable', () => {
  it('is true for an executable file only', () => {
    expect(isExecutable(writeFile(path.join(directory, 'yes'), 0o755))).toBe(true);
    expect(isExecutable(writeFile(path.join(directory, 'no'), 0o644))).toBe(false);
    expect(isExecutable(path.join(directory, 'missing'))).toBe(false);
  });
});

describe('findExecutable', () => {
  it('takes the first executable match on the search path, skipping files that cannot run', () => {
    writeFile(path.join(directory, 'first', command), 0o644);
    const expected = writeFile(path.join(directory, 'second', command), 0o755);
    writeFile(path.join(directory, 'third', command), 0o755);
    const searchPath = ['', 'first', 'second', 'third']
      .map((folder) => (folder === '' ? '' : path.join(directory, folder)))
      .join(path.delimiter);
    expect(findExecutable(command, { searchPath })).toBe(expected);
  });

  it('looks in node_modules/.bin above the module that needs the command', () => {
    const expected = writeFile(path.join(directory, 'node_modules', '.bin', command), 0o755);
    const moduleFile = path.join(directory, 'packages', 'agent', 'src', 'agent.ts');
    expect(findExecutable(command, { searchPath: '', nearModule: pathToFileURL(moduleFile).href })).toBe(
      expected,
    );
    expect(findExecutable(command, { nearModule: path.dirname(moduleFile) })).toBe(expected);
  });

  it('prefers the search path to node_modules', () => {
    writeFile(path.join(directory, 'node_modules', '.bin', command), 0o755);
    const onPath = writeFile(path.join(directory, 'bin', command), 0o755);
    expect(findExecutable(command, { searchPath: path.join(directory, 'bin'), nearModule: directory })).toBe(
      onPath,
    );
  });

  it('returns null when the command is nowhere', () => {
    expect(findExecutable(command, { searchPath: directory, nearModule: directory })).toBe(null);
  });
});
