import path from 'node:path';
import type { PluginDefinition } from '../specifications/plugin.js';
import type { StoreV1 } from '../specifications/store.js';
import { createFileStore, createMemoryStore } from './orchestrator-store.js';

/**
 * The stores every orchestrator knows by kind (`store.kind` in WORKFLOW.md): `file`, the
 * default, keeps one JSON file per key under the state directory's `store/`; `memory` keeps
 * nothing past the process (tests, dry runs).
 */
export const builtInStores: Record<'file' | 'memory', PluginDefinition<StoreV1>> = {
  file: { create: (_settings, context) => createFileStore(path.join(context.stateDirectory, 'store')) },
  memory: { create: () => createMemoryStore() },
};
