import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/error-classes.js';
import { expandPathSetting } from './environment-values.js';

describe('expandPathSetting', () => {
  it('expands a leading ~ to the home directory', () => {
    expect(expandPathSetting('~', '/base', {})).toBe(os.homedir());
    expect(expandPathSetting('~/work', '/base', {})).toBe(path.join(os.homedir(), 'work'));
  });

  it('keeps ~ that does not start the path, and ~user forms', () => {
    expect(expandPathSetting('notes/~draft', '/base', {})).toBe('/base/notes/~draft');
    expect(expandPathSetting('~someone/work', '/base', {})).toBe('/base/~someone/work');
  });

  it('expands $NAME and the braced form', () => {
    const environment = { DATA: '/srv/data', SUB: 'trees' };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is the syntax under test.
    expect(expandPathSetting('$DATA/${SUB}/x', '/base', environment)).toBe('/srv/data/trees/x');
  });

  it('resolves relative paths against the base folder and keeps absolute ones', () => {
    expect(expandPathSetting('state/db', '/srv/app', {})).toBe('/srv/app/state/db');
    expect(expandPathSetting('../shared', '/srv/app', {})).toBe('/srv/shared');
    expect(expandPathSetting('/opt/loompa', '/srv/app', {})).toBe('/opt/loompa');
  });

  it('names an empty or unset variable instead of dropping it', () => {
    for (const environment of [{}, { DATA: '' }]) {
      let thrown: unknown;
      try {
        expandPathSetting('$DATA/trees', '/base', environment);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as InvalidArgumentError).message).toBe(
        'path "$DATA/trees" uses environment variable DATA, which is empty or not set',
      );
      expect((thrown as InvalidArgumentError).details).toEqual({ path: '$DATA/trees', variable: 'DATA' });
    }
  });
});
