import { describe, expect, it } from 'vitest';
import { registerSecret } from '../secrets/redact-secrets.js';
import {
  AgentBackendError,
  formatWorkflowProblem,
  HookError,
  InvalidArgumentError,
  NotImplementedError,
  PluginSpecificationError,
  PromptRenderError,
  ScmError,
  TrackerError,
  UnknownPluginKindError,
  WorkflowError,
  type WorkflowProblem,
  WorkspaceError,
} from './error-classes.js';
import { describeError, LoompaError } from './loompa-error.js';

const githubToken = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';

describe('LoompaError.isInstance', () => {
  it('recognises errors of this copy and their subclasses', () => {
    const error = new TrackerError('listing failed');
    expect(LoompaError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(LoompaError);
    expect(LoompaError.isInstance(new LoompaError('custom_code', 'x'))).toBe(true);
  });

  it('recognises an error from a second installed copy, where instanceof fails', () => {
    // A second copy of @loompa/core has its own LoompaError class, but the marker comes from
    // the global symbol registry, so it is the same symbol.
    const otherCopyMarker: unique symbol = Symbol.for('@loompa/core.error') as never;
    class LoompaErrorFromOtherCopy extends Error {
      readonly [otherCopyMarker] = true;
      readonly code = 'tracker_failed';
    }
    const foreign = new LoompaErrorFromOtherCopy('from the other copy');
    expect(foreign).not.toBeInstanceOf(LoompaError);
    expect(LoompaError.isInstance(foreign)).toBe(true);
    expect(LoompaError.hasCode(foreign, 'tracker_failed')).toBe(true);
    expect(LoompaError.hasCode(foreign, 'scm_failed')).toBe(false);
    expect(LoompaError.isInstance({ [Symbol.for('@loompa/core.error')]: true, code: 'x' })).toBe(true);
  });

  it('rejects everything without the marker', () => {
    expect(LoompaError.isInstance(new Error('plain'))).toBe(false);
    expect(LoompaError.isInstance({ code: 'tracker_failed' })).toBe(false);
    expect(LoompaError.isInstance({ [Symbol.for('@loompa/core.error')]: 'yes' })).toBe(false);
    expect(LoompaError.isInstance({ [Symbol('@loompa/core.error')]: true })).toBe(false);
    expect(LoompaError.isInstance(null)).toBe(false);
    expect(LoompaError.isInstance('tracker_failed')).toBe(false);
    expect(LoompaError.hasCode(undefined, 'tracker_failed')).toBe(false);
  });
});

describe('LoompaError subclasses', () => {
  it('carry stable codes and their class name', () => {
    const errors: Array<[LoompaError, string, string]> = [
      [new WorkflowError('/w/WORKFLOW.md', []), 'workflow_invalid', 'WorkflowError'],
      [
        new UnknownPluginKindError('tracker', 'jira', ['github']),
        'plugin_unknown_kind',
        'UnknownPluginKindError',
      ],
      [
        new PluginSpecificationError('tracker', 'github', 'tracker-v1', 'tracker-v0'),
        'plugin_specification_mismatch',
        'PluginSpecificationError',
      ],
      [new PromptRenderError('m'), 'prompt_render_failed', 'PromptRenderError'],
      [new WorkspaceError('m'), 'workspace_failed', 'WorkspaceError'],
      [new HookError('before_run', 'm'), 'hook_failed', 'HookError'],
      [new TrackerError('m'), 'tracker_failed', 'TrackerError'],
      [new ScmError('m'), 'scm_failed', 'ScmError'],
      [new AgentBackendError('m'), 'agent_backend_failed', 'AgentBackendError'],
      [new InvalidArgumentError('m'), 'invalid_argument', 'InvalidArgumentError'],
      [new NotImplementedError('m'), 'not_implemented', 'NotImplementedError'],
    ];
    for (const [error, code, name] of errors) {
      expect(error.code).toBe(code);
      expect(error.name).toBe(name);
      expect(error).toBeInstanceOf(Error);
      expect(LoompaError.hasCode(error, code)).toBe(true);
    }
  });

  it('carry structured fields in details', () => {
    const unknownKind = new UnknownPluginKindError('agent', 'aider', ['claude', 'opencode']);
    expect(unknownKind.message).toBe('Unknown agent kind "aider"; registered kinds: claude, opencode');
    expect(unknownKind.details).toEqual({ slot: 'agent', kind: 'aider', knownKinds: ['claude', 'opencode'] });
    expect(new UnknownPluginKindError('scm', 'forge', []).message).toBe(
      'Unknown scm kind "forge"; registered kinds: none registered',
    );
    const specification = new PluginSpecificationError('tracker', 'github', 'tracker-v1', undefined);
    expect(specification.message).toBe(
      'The tracker plugin registered as "github" implements "undefined", expected "tracker-v1"',
    );
    const hook = new HookError('after_create', 'hook exited with code 2', { details: { exitCode: 2 } });
    expect(hook.hook).toBe('after_create');
    expect(hook.details).toEqual({ hook: 'after_create', exitCode: 2 });
  });

  it('keep the cause, the very same object', () => {
    const cause = new Error('socket hang up');
    const error = new TrackerError('listing issues failed', { cause });
    expect(error.cause).toBe(cause);
    const nonError = { status: 502 };
    expect(new ScmError('bad gateway', { cause: nonError }).cause).toEqual({ status: 502 });
    expect('cause' in new ScmError('no cause')).toBe(false);
  });
});

describe('LoompaError redaction', () => {
  it('redacts token shapes and URL credentials from the message and the stack', () => {
    const error = new ScmError(
      `push to https://x-access-token:${githubToken}@github.com/acme/app.git failed`,
    );
    expect(error.message).toBe('push to https://[REDACTED]@github.com/acme/app.git failed');
    expect(error.stack).not.toContain(githubToken);
  });

  it('redacts registered values and secret-named fields from details', () => {
    registerSecret('registered-opaque-value-31337');
    const error = new TrackerError('request failed', {
      details: {
        url: 'https://api.example.invalid/?q=registered-opaque-value-31337',
        headers: { authorization: 'Bearer whatever-it-is', accept: 'application/json' },
        nested: [{ apiKey: 'anything' }, `token ${githubToken}`],
      },
    });
    expect(error.details).toEqual({
      url: 'https://api.example.invalid/?q=[REDACTED]',
      headers: { authorization: '[REDACTED]', accept: 'application/json' },
      nested: [{ apiKey: '[REDACTED]' }, 'token [REDACTED]'],
    });
  });

  it('redacts the cause in place, keeping its identity, down the cause chain', () => {
    const root = new Error(`GitLab said 401 for glpat-abcdefghijklmnopqrstu`);
    const cause = new Error(`git push https://oauth2:hunter2hunter2@gitlab.example.invalid/app.git`, {
      cause: root,
    });
    Object.assign(cause, { stderr: `remote: invalid token ${githubToken}`, exitCode: 128 });
    const error = new ScmError('push failed', { cause });
    expect(error.cause).toBe(cause);
    expect(cause.message).toBe('git push https://[REDACTED]@gitlab.example.invalid/app.git');
    expect((cause as Error & { stderr: string }).stderr).toBe('remote: invalid token [REDACTED]');
    expect(cause.stack).not.toContain('hunter2hunter2');
    expect(root.message).toBe('GitLab said 401 for [REDACTED]');
  });

  it('stores a redacted copy of a cause that is not an Error', () => {
    const error = new TrackerError('request failed', {
      cause: { response: { body: `bad credentials ${githubToken}` }, token: 'opaque' },
    });
    expect(error.cause).toEqual({ response: { body: 'bad credentials [REDACTED]' }, token: '[REDACTED]' });
  });
});

describe('WorkflowError', () => {
  const problem: WorkflowProblem = {
    yamlPath: 'polling.interval_ms',
    line: 3,
    column: 16,
    expected: 'a positive whole number',
    found: '-5',
    message: 'expected a positive whole number, found -5',
  };

  it('formats each problem as file:line:column: path: message', () => {
    expect(formatWorkflowProblem('/w/WORKFLOW.md', problem)).toBe(
      '/w/WORKFLOW.md:3:16: polling.interval_ms: expected a positive whole number, found -5',
    );
    expect(
      formatWorkflowProblem('/w/WORKFLOW.md', { ...problem, yamlPath: '', line: null, column: null }),
    ).toBe('/w/WORKFLOW.md: expected a positive whole number, found -5');
  });

  it('lists every problem and keeps them structured', () => {
    const second = { ...problem, yamlPath: 'agent.max_turns', line: 5, column: 14 };
    const error = new WorkflowError('/w/WORKFLOW.md', [problem, second]);
    expect(error.message).toBe(
      [
        'Invalid workflow (2 problems): /w/WORKFLOW.md:3:16: polling.interval_ms: expected a positive whole number, found -5',
        '/w/WORKFLOW.md:5:14: agent.max_turns: expected a positive whole number, found -5',
      ].join('\n'),
    );
    expect(error.file).toBe('/w/WORKFLOW.md');
    expect(error.problems).toEqual([problem, second]);
    expect(error.details).toEqual({ file: '/w/WORKFLOW.md', problems: [problem, second] });
  });
});

describe('describeError', () => {
  it('gives the redacted message of anything thrown', () => {
    expect(describeError(new Error(`failed with ${githubToken}`))).toBe('failed with [REDACTED]');
    expect(describeError(`thrown string https://user:pass@host.example.invalid`)).toBe(
      'thrown string https://[REDACTED]@host.example.invalid',
    );
    expect(describeError(42)).toBe('42');
  });
});
