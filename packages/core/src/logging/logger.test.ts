import { describe, expect, it } from 'vitest';
import { registerSecret } from '../secrets/redact-secrets.js';
import { createJsonLogger, createSilentLogger } from './logger.js';

const githubToken = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';

/** A JSON logger writing into an array, and the parsed lines. */
function capture(options: Parameters<typeof createJsonLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createJsonLogger({ write: (line) => lines.push(line), ...options });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line with time, level, message, base and fields', () => {
    const { logger, lines, records } = capture({ base: { service: 'loompa' } });
    logger.info('issue dispatched', { issueIdentifier: 'TASK-1', attempt: null });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const [record] = records();
    expect(Object.keys(record!).slice(0, 3)).toEqual(['time', 'level', 'message']);
    expect(record).toEqual({
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      level: 'info',
      message: 'issue dispatched',
      service: 'loompa',
      issueIdentifier: 'TASK-1',
      attempt: null,
    });
  });

  it('redacts secrets from the message, the fields and the base fields', () => {
    registerSecret('opaque-registered-logger-value');
    const { logger, lines } = capture({
      base: { remote: `https://bot:${githubToken}@github.com/acme/app.git` },
    });
    logger.error(`push failed with ${githubToken}`, {
      token: 'opaque',
      stderr: 'fatal: opaque-registered-logger-value rejected',
      request: { headers: { authorization: 'Bearer abc' } },
      error: new Error(`401 for ${githubToken}`),
    });
    expect(lines[0]).not.toContain(githubToken);
    expect(lines[0]).not.toContain('opaque-registered-logger-value');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      message: 'push failed with [REDACTED]',
      remote: 'https://[REDACTED]@github.com/acme/app.git',
      token: '[REDACTED]',
      stderr: 'fatal: [REDACTED] rejected',
      request: { headers: { authorization: '[REDACTED]' } },
      error: { name: 'Error', message: '401 for [REDACTED]' },
    });
  });

  it('drops lines below its level', () => {
    const { logger, records } = capture({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(records().map((record) => record.level)).toEqual(['warn', 'error']);
    const defaults = capture();
    defaults.logger.debug('hidden');
    defaults.logger.info('shown');
    expect(defaults.records().map((record) => record.message)).toEqual(['shown']);
  });

  it('does not let a field overwrite time, level or message', () => {
    const { logger, records } = capture();
    logger.warn('the real message', { message: 'spoofed', level: 'debug', time: 'never' });
    const [record] = records();
    expect(record!.message).toBe('the real message');
    expect(record!.level).toBe('warn');
    expect(record!.time).not.toBe('never');
  });

  it('logs values JSON cannot serialize on its own', () => {
    const { logger, records } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.info('odd values', { bytes: 2n ** 70n, cyclic });
    expect(records()[0]).toMatchObject({
      bytes: '1180591620717411303424',
      cyclic: { name: 'loop', self: '[Circular]' },
    });
  });
});

describe('createSilentLogger', () => {
  it('accepts every call and writes nothing', () => {
    const logger = createSilentLogger();
    expect(() => {
      logger.debug('a');
      logger.info('b', { x: 1 });
      logger.warn('c');
      logger.error('d');
    }).not.toThrow();
  });
});
