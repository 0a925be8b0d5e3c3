import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shout } from '../src/strings.js';

test('shout shouts', () => {
  assert.equal(shout('hello'), 'HELLO!');
});
