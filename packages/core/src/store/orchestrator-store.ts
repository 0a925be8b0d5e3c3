import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../errors/error-classes.js';
import type { StoreV1 } from '../specifications/store.js';

export type { OrchestratorStore } from '../specifications/store.js';

function fileNameFor(key: string): string {
  return `${encodeURIComponent(key)}.json`;
}

/**
 * The embedded store: one JSON file per key in a folder, each written to a temporary file,
 * flushed, then renamed over the old one, so a crash leaves either the old or the new value.
 */
export function createFileStore(directory: string): StoreV1 {
  let ready: Promise<void> | null = null;
  const ensureDirectory = () => {
    ready ??= mkdir(directory, { recursive: true }).then(() => undefined);
    return ready;
  };
  const read = async <Value>(fileName: string): Promise<Value | undefined> => {
    const filePath = path.join(directory, fileName);
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as Value;
    } catch (error) {
      throw new InvalidArgumentError(`The store file ${filePath} is not valid JSON; remove or repair it`, {
        cause: error,
      });
    }
  };
  return {
    specificationVersion: 'store-v1',
    name: 'file',
    async get<Value>(key: string) {
      return read<Value>(fileNameFor(key));
    },
    async set(key, value) {
      await ensureDirectory();
      const target = path.join(directory, fileNameFor(key));
      const temporary = `${target}.${randomUUID()}.tmp`;
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(JSON.stringify(value));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, target);
    },
    async delete(key) {
      await rm(path.join(directory, fileNameFor(key)), { force: true });
    },
    async list<Value>(prefix: string) {
      await ensureDirectory();
      const entries: Array<{ key: string; value: Value }> = [];
      for (const fileName of await readdir(directory)) {
        if (!fileName.endsWith('.json')) continue;
        const key = decodeURIComponent(fileName.slice(0, -'.json'.length));
        if (!key.startsWith(prefix)) continue;
        const value = await read<Value>(fileName);
        if (value !== undefined) entries.push({ key, value });
      }
      return entries;
    },
  };
}

/** A store in memory, for tests and dry runs. */
export function createMemoryStore(): StoreV1 {
  const values = new Map<string, string>();
  return {
    specificationVersion: 'store-v1',
    name: 'memory',
    async get<Value>(key: string) {
      const text = values.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as Value);
    },
    async set(key, value) {
      values.set(key, JSON.stringify(value));
    },
    async delete(key) {
      values.delete(key);
    },
    async list<Value>(prefix: string) {
      return [...values.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, text]) => ({ key, value: JSON.parse(text) as Value }));
    },
  };
}
