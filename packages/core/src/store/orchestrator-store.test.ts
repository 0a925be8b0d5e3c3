import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileStore, createMemoryStore, type OrchestratorStore } from './orchestrator-store.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-store-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

interface Record {
  failures: number;
  blocked: { reason: string } | null;
}

const implementations: Array<[string, () => OrchestratorStore]> = [
  ['file store', () => createFileStore(path.join(directory, 'store'))],
  ['memory store', () => createMemoryStore()],
];

describe.each(implementations)('%s', (_name, create) => {
  it('sets, gets, lists by prefix and deletes', async () => {
    const store = create();
    expect(await store.get('item/1')).toBeUndefined();
    await store.set<Record>('item/1', { failures: 1, blocked: null });
    await store.set<Record>('item/2', { failures: 0, blocked: { reason: 'needs a human' } });
    await store.set('cursor/reviews', ['comment-1']);
    expect(await store.get<Record>('item/1')).toEqual({ failures: 1, blocked: null });

    const items = await store.list<Record>('item/');
    expect(items.sort((left, right) => left.key.localeCompare(right.key))).toEqual([
      { key: 'item/1', value: { failures: 1, blocked: null } },
      { key: 'item/2', value: { failures: 0, blocked: { reason: 'needs a human' } } },
    ]);
    expect(await store.list('cursor/')).toEqual([{ key: 'cursor/reviews', value: ['comment-1'] }]);
    expect(await store.list('')).toHaveLength(3);

    await store.set<Record>('item/1', { failures: 2, blocked: null });
    expect(await store.get<Record>('item/1')).toEqual({ failures: 2, blocked: null });
    await store.delete('item/1');
    expect(await store.get('item/1')).toBeUndefined();
    expect((await store.list('item/')).map((entry) => entry.key)).toEqual(['item/2']);
    // Deleting what is not there is harmless.
    await store.delete('item/1');
  });

  it('keeps keys with slashes, dots, spaces and other characters apart', async () => {
    const store = create();
    const keys = ['a/b', 'a_b', 'a%2Fb', 'item/../../escape', 'item/..', 'ü/名前 x', 'item/#34?x=1'];
    for (const [index, key] of keys.entries()) await store.set(key, index);
    for (const [index, key] of keys.entries()) expect(await store.get(key)).toBe(index);
    expect((await store.list('')).map((entry) => entry.key).sort()).toEqual([...keys].sort());
  });

  it('returns copies, so changing a value read does not change the stored one', async () => {
    const store = create();
    const value = { failures: 1, blocked: null };
    await store.set('item/1', value);
    value.failures = 99;
    const read = await store.get<Record>('item/1');
    read!.failures = 42;
    expect(await store.get('item/1')).toEqual({ failures: 1, blocked: null });
  });
});

describe('file store', () => {
  it('keeps every file inside its folder, whatever the key', async () => {
    const folder = path.join(directory, 'store');
    const store = createFileStore(folder);
    await store.set('../../outside', 1);
    await store.set('/etc/passwd', 2);
    expect(await readdir(directory)).toEqual(['store']);
    expect(await readdir(folder)).toHaveLength(2);
  });

  it('survives a restart: a new instance on the same folder reads what the old one wrote', async () => {
    const folder = path.join(directory, 'store');
    await createFileStore(folder).set('item/1', { failures: 3, blocked: null });
    const restarted = createFileStore(folder);
    expect(await restarted.get('item/1')).toEqual({ failures: 3, blocked: null });
    expect(await restarted.list('item/')).toEqual([{ key: 'item/1', value: { failures: 3, blocked: null } }]);
  });

  it('leaves no temporary file after a write', async () => {
    const folder = path.join(directory, 'store');
    const store = createFileStore(folder);
    await Promise.all(Array.from({ length: 20 }, (_, index) => store.set('item/1', { failures: index })));
    const files = await readdir(folder);
    expect(files).toHaveLength(1);
    expect((await store.get<{ failures: number }>('item/1'))?.failures).toBeGreaterThanOrEqual(0);
  });

  it('ignores a temporary file a crash left mid-write: the old value stays', async () => {
    const folder = path.join(directory, 'store');
    const store = createFileStore(folder);
    await store.set('item/1', { failures: 1, blocked: null });
    const [committed] = await readdir(folder);
    // What a crash between writing the temporary file and renaming it leaves behind: a
    // truncated new value next to the old one.
    await writeFile(path.join(folder, `${committed}.3f2a.tmp`), '{"failures": 2, "blo');
    await writeFile(path.join(folder, 'item%2F9.json.77aa.tmp'), '{"failures": 9}');

    const restarted = createFileStore(folder);
    expect(await restarted.get('item/1')).toEqual({ failures: 1, blocked: null });
    expect(await restarted.get('item/9')).toBeUndefined();
    expect(await restarted.list('item/')).toEqual([{ key: 'item/1', value: { failures: 1, blocked: null } }]);
    await restarted.set('item/1', { failures: 2, blocked: null });
    expect(await restarted.get('item/1')).toEqual({ failures: 2, blocked: null });
    expect(JSON.parse(await readFile(path.join(folder, committed!), 'utf8'))).toEqual({
      failures: 2,
      blocked: null,
    });
  });

  it('lists nothing from a folder that does not exist yet', async () => {
    expect(await createFileStore(path.join(directory, 'fresh')).list('')).toEqual([]);
    expect(await createFileStore(path.join(directory, 'fresh2')).get('x')).toBeUndefined();
  });
});
