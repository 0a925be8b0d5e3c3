import { describe, expect, it } from 'vitest';
import { registerSecret } from '../secrets/redact-secrets.js';
import {
  buildRestrictedEnvironment,
  looksSecretName,
  matchesVariablePattern,
} from './restricted-environment.js';

const source = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/person',
  LANG: 'en_US.UTF-8',
  LC_ALL: 'en_US.UTF-8',
  TERM: 'xterm',
  GITHUB_TOKEN: 'ghp_canarycanarycanarycanary1234',
  GH_TOKEN: 'ghp_canarycanarycanarycanary1234',
  NPM_TOKEN: 'npm-token-value-1234',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
  DATABASE_PASSWORD: 'hunter22',
  MY_SERVICE_AUTH: 'auth-value-1234',
  ANTHROPIC_API_KEY: 'sk-ant-model-key-1234567890',
  ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999',
  GIT_DIR: '/somewhere/else/.git',
  RANDOM_APPLICATION_SETTING: 'not needed by agents',
  COPY_OF_TOKEN_UNDER_INNOCENT_NAME: 'ghp_canarycanarycanarycanary1234',
  UNSET: undefined,
};

describe('buildRestrictedEnvironment', () => {
  it('keeps only the always-inherited names by default', () => {
    expect(buildRestrictedEnvironment({ source })).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/person',
      LANG: 'en_US.UTF-8',
      LC_ALL: 'en_US.UTF-8',
      TERM: 'xterm',
    });
  });

  it('adds what the program declares, secret-looking or not, by name or prefix', () => {
    const environment = buildRestrictedEnvironment({ source, declaredNames: ['ANTHROPIC_*'] });
    expect(environment.ANTHROPIC_API_KEY).toBe('sk-ant-model-key-1234567890');
    expect(environment.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:9999');
    expect(environment.GITHUB_TOKEN).toBeUndefined();
  });

  it('withholds other plugins credentials even when declared, and their values under any name', () => {
    const environment = buildRestrictedEnvironment({
      source,
      declaredNames: ['GITHUB_TOKEN', 'COPY_OF_TOKEN_UNDER_INNOCENT_NAME'],
      withheldNames: ['GITHUB_TOKEN'],
    });
    expect(Object.values(environment)).not.toContain('ghp_canarycanarycanarycanary1234');
  });

  it('passes a credential only when the workflow names it explicitly', () => {
    const environment = buildRestrictedEnvironment({
      source,
      withheldNames: ['GITHUB_TOKEN'],
      passedNames: ['NPM_TOKEN', 'GITHUB_TOKEN'],
    });
    expect(environment.NPM_TOKEN).toBe('npm-token-value-1234');
    expect(environment.GITHUB_TOKEN).toBe('ghp_canarycanarycanarycanary1234');
    expect(environment.DATABASE_PASSWORD).toBeUndefined();
  });

  it('drops an inherited name whose value is a registered secret, and git variables', () => {
    registerSecret('registered-secret-in-home');
    const environment = buildRestrictedEnvironment({
      source: { ...source, HOME: 'registered-secret-in-home' },
      declaredNames: ['GIT_DIR'],
    });
    expect(environment.HOME).toBeUndefined();
    expect(environment.GIT_DIR).toBeUndefined();
  });

  it('puts the workflow values over inherited ones', () => {
    const environment = buildRestrictedEnvironment({
      source,
      explicitValues: { PATH: '/opt/bin', CI: 'true' },
    });
    expect(environment.PATH).toBe('/opt/bin');
    expect(environment.CI).toBe('true');
  });
});

describe('looksSecretName', () => {
  it.each([
    ['GITHUB_TOKEN', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['NPM_AUTH', true],
    ['DB_PASSWORD', true],
    ['GOOGLE_APPLICATION_CREDENTIALS', true],
    ['SESSION_COOKIE', true],
    ['PATH', false],
    ['EDITOR', false],
  ])('%s → %s', (name, expected) => {
    expect(looksSecretName(name)).toBe(expected);
  });
});

describe('matchesVariablePattern', () => {
  it('matches exact names and prefixes ending in *', () => {
    expect(matchesVariablePattern('ANTHROPIC_BASE_URL', ['ANTHROPIC_*'])).toBe(true);
    expect(matchesVariablePattern('ANTHROPIC', ['ANTHROPIC_*'])).toBe(false);
    expect(matchesVariablePattern('CI', ['CI'])).toBe(true);
    expect(matchesVariablePattern('CIRCLE', ['CI'])).toBe(false);
  });
});
