import { describe, expect, it } from 'vitest';
import { isSecretKeyName, redactSecrets, redactValue, registerSecret } from './redact-secrets.js';

describe('redactSecrets: token shapes', () => {
  it.each([
    ['a GitHub personal token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345'],
    ['a GitHub OAuth token', 'gho_0123456789abcdefghijABCDEFGHIJ012345'],
    ['a GitHub app installation token', 'ghs_0123456789abcdefghijABCDEFGHIJ012345'],
    [
      'a GitHub fine-grained token',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN',
    ],
    ['a GitLab personal token', 'glpat-abcDEF123_ghiJKL456-xy'],
    ['a GitLab CI job token', 'glcbt-64_abcdefghijklmnopqrstuv'],
    ['a GitLab deploy token', 'gldt-abcdefghijklmnopqrstuvwx'],
    ['an Anthropic API key', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGH_ijklmnop-AA'],
    ['an Anthropic OAuth token', 'sk-ant-oat01-abcdefghijklmnopqrstuvwxyz0123456789'],
    ['an OpenAI-style key', 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a Slack token', 'xoxb-1234567890-abcdefghij'],
    ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
  ])('removes %s', (_name, token) => {
    expect(redactSecrets(`using ${token} now`)).toBe('using [REDACTED] now');
    expect(redactSecrets(`"${token}"`)).toBe('"[REDACTED]"');
  });

  it('leaves ordinary text alone', () => {
    const text =
      'task-0123456789abcdefghijklmnop finished in 1234567 ms; see ssh://git@github.com/acme/app.git and https://example.com/docs?page=2';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactSecrets: structured credentials', () => {
  it('removes credentials embedded in URLs, keeping the rest of the URL', () => {
    expect(redactSecrets('cloning https://x-access-token:s3cr3t-value@github.com/acme/app.git')).toBe(
      'cloning https://[REDACTED]@github.com/acme/app.git',
    );
    expect(redactSecrets('https://oauth2:p@ss@word@gitlab.example.invalid/app.git')).toBe(
      'https://[REDACTED]@gitlab.example.invalid/app.git',
    );
    expect(redactSecrets('postgres://loompa:hunter2@db.example.invalid:5432/state')).toBe(
      'postgres://[REDACTED]@db.example.invalid:5432/state',
    );
    expect(redactSecrets('fetching https://opaqueusertoken@forge.example.invalid/app.git')).toBe(
      'fetching https://[REDACTED]@forge.example.invalid/app.git',
    );
  });

  it('removes authorization header values, as text and as JSON', () => {
    expect(redactSecrets('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer [REDACTED]');
    expect(redactSecrets('authorization=token opaque123')).toBe('authorization=token [REDACTED]');
    expect(redactSecrets('{"Authorization":"Basic dXNlcjpwYXNz","accept":"json"}')).toBe(
      '{"Authorization":"Basic [REDACTED]","accept":"json"}',
    );
    expect(redactSecrets('PRIVATE-TOKEN: opaque-gitlab-value')).toBe('PRIVATE-TOKEN: [REDACTED]');
    expect(redactSecrets('{"x-api-key": "opaque-anthropic-value"}')).toBe('{"x-api-key": "[REDACTED]"}');
  });
});

describe('redactSecrets: registered values', () => {
  it('removes every occurrence of a registered value', () => {
    registerSecret('opaque-registered-1');
    expect(redactSecrets('a opaque-registered-1 b opaque-registered-1')).toBe('a [REDACTED] b [REDACTED]');
  });

  it('removes a longer secret whole even when a shorter secret inside it was registered first', () => {
    registerSecret('inner-value');
    registerSecret('outer-inner-value-tail');
    expect(redactSecrets('got outer-inner-value-tail')).toBe('got [REDACTED]');
  });

  it('ignores values too short to be secrets', () => {
    registerSecret('abc');
    registerSecret('');
    registerSecret(null);
    registerSecret(undefined);
    expect(redactSecrets('abc is fine')).toBe('abc is fine');
  });
});

describe('isSecretKeyName', () => {
  it('recognises secret-named keys', () => {
    for (const key of [
      'token',
      'github_token',
      'GITHUB_TOKEN',
      'apiKey',
      'api_key',
      'client_secret',
      'password',
    ]) {
      expect(isSecretKeyName(key), key).toBe(true);
    }
    for (const key of ['owner', 'kind', 'interval_ms', 'labels'])
      expect(isSecretKeyName(key), key).toBe(false);
  });
});

describe('redactValue', () => {
  const token = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';

  it('copies deeply, redacting strings and blanking secret-named string fields', () => {
    const input = {
      message: `sent ${token}`,
      headers: { Authorization: 'anything at all', 'content-type': 'json' },
      list: [{ password: 'x' }, 3, null, true],
      emptyToken: '',
      tokenUsage: { inputTokens: 10 },
      when: new Date(0),
    };
    const output = redactValue(input);
    expect(output).toEqual({
      message: 'sent [REDACTED]',
      headers: { Authorization: '[REDACTED]', 'content-type': 'json' },
      list: [{ password: '[REDACTED]' }, 3, null, true],
      emptyToken: '',
      tokenUsage: { inputTokens: 10 },
      when: new Date(0),
    });
    expect(input.message).toBe(`sent ${token}`);
  });

  it('turns errors into plain redacted data, with their cause', () => {
    const cause = new Error(`inner ${token}`);
    const error = Object.assign(new Error(`outer ${token}`, { cause }), { status: 401 });
    expect(redactValue({ error })).toEqual({
      error: {
        name: 'Error',
        message: 'outer [REDACTED]',
        status: 401,
        cause: { name: 'Error', message: 'inner [REDACTED]' },
      },
    });
  });

  it('marks a cycle but copies an object reached twice', () => {
    const shared = { value: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    expect(redactValue(cyclic)).toEqual({ shared: { value: 1 }, again: { value: 1 }, self: '[Circular]' });
  });

  it('serializes big integers and URLs as strings', () => {
    const output = redactValue({ size: 12n, remote: new URL('https://user:secret@example.com/repo.git') });
    expect(output).toEqual({ size: '12', remote: 'https://[REDACTED]@example.com/repo.git' });
    expect(() => JSON.stringify(output)).not.toThrow();
  });
});
