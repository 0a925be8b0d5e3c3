import { PluginSpecificationError, UnknownPluginKindError, WorkflowError } from '../errors/error-classes.js';
import { isPluginDefinition, type PluginContext, type PluginEntry } from '../specifications/plugin.js';

/**
 * Turns registry entries into slot instances. A definition is created from its WORKFLOW.md
 * section and re-created only when that section changes on reload, so unrelated edits keep
 * plugin state (caches, watchers) alive.
 */
export class PluginInstances<Slot extends { specificationVersion: string }> {
  private readonly cache = new Map<string, { settingsKey: string; instance: Slot }>();

  constructor(
    private readonly slot: string,
    private readonly specificationVersion: string,
    private readonly registry: Readonly<Record<string, PluginEntry<Slot>>>,
  ) {}

  /** Closes every instance this registry created (watchers, timers, child processes). */
  closeAll(): void {
    for (const { instance } of this.cache.values()) closeInstance(instance);
    this.cache.clear();
  }

  knownKinds(): string[] {
    return Object.keys(this.registry);
  }

  has(kind: string): boolean {
    return Object.hasOwn(this.registry, kind);
  }

  /** The instance for `kind` configured with `settings`; throws for unknown kinds or wrong specs. */
  get(
    kind: string,
    settings: unknown,
    context: PluginContext,
    workflowFile: string,
    sectionPath: string,
  ): Slot {
    if (!this.has(kind)) throw new UnknownPluginKindError(this.slot, kind, this.knownKinds());
    const entry = this.registry[kind]!;
    let instance: Slot;
    if (isPluginDefinition(entry)) {
      const settingsKey = JSON.stringify(settings ?? {});
      const cached = this.cache.get(kind);
      if (cached && cached.settingsKey === settingsKey) return cached.instance;
      const parsed = entry.settingsSchema ? entry.settingsSchema.safeParse(settings ?? {}) : null;
      if (parsed && !parsed.success) {
        throw new WorkflowError(
          workflowFile,
          parsed.error.issues.map((issue) => ({
            yamlPath: [sectionPath, ...issue.path.map(String)].filter(Boolean).join('.'),
            line: null,
            column: null,
            expected: issue.message,
            found: null,
            message: issue.message,
          })),
        );
      }
      instance = entry.create(parsed ? parsed.data : settings, context);
      if (cached) closeInstance(cached.instance);
      this.cache.set(kind, { settingsKey, instance });
    } else {
      instance = entry;
    }
    if (instance.specificationVersion !== this.specificationVersion) {
      throw new PluginSpecificationError(
        this.slot,
        kind,
        this.specificationVersion,
        instance.specificationVersion,
      );
    }
    return instance;
  }
}

/** A slot instance given directly (not by kind): its tag must name the version core speaks. */
export function assertSpecificationVersion<Slot extends { specificationVersion: string }>(
  slot: string,
  instance: Slot,
  specificationVersion: string,
): Slot {
  if (instance.specificationVersion !== specificationVersion) {
    throw new PluginSpecificationError(slot, slot, specificationVersion, instance.specificationVersion);
  }
  return instance;
}

/** Plugins that hold resources may offer `close()`; a replaced or stopped instance gets it called. */
function closeInstance(instance: unknown): void {
  const close = (instance as { close?: () => unknown }).close;
  if (typeof close === 'function') {
    Promise.resolve()
      .then(() => close.call(instance))
      .catch(() => {});
  }
}
