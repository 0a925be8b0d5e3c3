import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { workspaceKeyFor } from './workspace-key.js';

describe('workspaceKeyFor', () => {
  it.each(['ENG-12', 'task_3', 'v1.2.3', 'A-b_c.d'])(
    'keeps %j, which needs no change, as it is',
    (identifier) => {
      expect(workspaceKeyFor(identifier)).toBe(identifier);
    },
  );

  it('replaces characters outside [A-Za-z0-9._-] and adds a short hash', () => {
    const key = workspaceKeyFor('team/a-1');
    expect(key).toMatch(/^team_a-1-[0-9a-f]{8}$/);
  });

  it('gives identifiers that sanitize alike different keys', () => {
    const keys = ['team/a-1', 'team_a-1', 'team a-1', 'team:a-1', 'team\\a-1'].map(workspaceKeyFor);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[1]).toBe('team_a-1');
  });

  it('is stable across calls', () => {
    expect(workspaceKeyFor('#34 fix/it')).toBe(workspaceKeyFor('#34 fix/it'));
  });

  it('never yields a path separator or a leading slash', () => {
    for (const identifier of ['/etc/passwd', '../escape', 'a/b/c', 'é/ü', '\u0000x']) {
      const key = workspaceKeyFor(identifier);
      expect(key).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(key).not.toContain('/');
    }
  });

  it.each(['..', '.', '../escape', '.hidden', 'v1..2', 'ENG.', 'refs.lock', '-rf', '', 'a/.b', '@{1}'])(
    'turns %j into a key that is a valid folder name and git branch name',
    (identifier) => {
      const key = workspaceKeyFor(identifier);
      expect(key).not.toBe(identifier);
      expect(key).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
      expect(key).not.toContain('..');
      for (const branch of [key, `loompa/${key}`]) {
        expect(() =>
          execFileSync('git', ['check-ref-format', '--branch', branch], { stdio: 'pipe' }),
        ).not.toThrow();
      }
    },
  );
});
