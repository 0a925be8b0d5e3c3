import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoompaError } from '../errors/loompa-error.js';
import { type AgentExecutableDescription, resolveAgentExecutable } from './resolve-agent-executable.js';

/** One folder for the whole file: each test uses its own place in it. */
let directory = '';
beforeAll(() => {
  directory = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'loompa-agent-executable-')));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const description: AgentExecutableDescription = {
  command: 'loompa-test-agent-cli',
  title: 'The Test CLI',
  packageName: '@example/test-cli',
  binaryPathSetting: 'test.binary_path',
};

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('resolveAgentExecutable', () => {
  it('returns the configured path when it is executable, and the PATH match otherwise', () => {
    const binary = path.join(directory, 'bin', description.command);
    mkdirSync(path.dirname(binary));
    writeFileSync(binary, '#!/bin/sh\n');
    chmodSync(binary, 0o755);
    expect(resolveAgentExecutable({ ...description, binaryPath: binary })).toBe(binary);
    expect(
      resolveAgentExecutable({ ...description, binaryPath: null, searchPath: path.dirname(binary) }),
    ).toBe(binary);
  });

  it('names the setting, the path and the package when the configured path is not executable', () => {
    const binary = path.join(directory, 'not-executable');
    writeFileSync(binary, 'text');
    const error = thrown(() => resolveAgentExecutable({ ...description, binaryPath: binary }));
    expect(LoompaError.hasCode(error, 'agent_backend_failed')).toBe(true);
    expect(error.message).toBe(
      `The Test CLI was not found at test.binary_path (${binary}), or it is not executable. Install @example/test-cli or fix the path.`,
    );
  });

  it('says how to install the command or point at it when it is nowhere', () => {
    const error = thrown(() =>
      resolveAgentExecutable({
        ...description,
        searchPath: path.join(directory, 'empty'),
        nearModule: path.join(directory, 'empty'),
      }),
    );
    expect(LoompaError.hasCode(error, 'agent_backend_failed')).toBe(true);
    expect(error.message).toBe(
      'The Test CLI (loompa-test-agent-cli) was not found on the agent PATH or in node_modules. Install it with ' +
        '`npm install @example/test-cli` (or globally with -g), or set test.binary_path in WORKFLOW.md.',
    );
  });
});
