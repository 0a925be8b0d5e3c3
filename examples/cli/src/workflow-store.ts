import {
  builtInStores,
  createSilentLogger,
  InvalidArgumentError,
  type OrchestratorStore,
  type PluginDefinition,
  type StoreV1,
  type Workflow,
} from '@loompa/core';

/**
 * The store `store.kind` names, for a command that reads or writes what a running instance
 * keeps there (`loompa status`, `loompa babysit`): the file store under the state directory by
 * default; a registered store such as redis is loaded only when the workflow names it. Close it
 * after use.
 */
export async function openWorkflowStore(workflow: Workflow, stateDirectory: string): Promise<StoreV1> {
  const kind = workflow.config.store.kind;
  let definition: PluginDefinition<StoreV1> | undefined = Object.hasOwn(builtInStores, kind)
    ? builtInStores[kind as keyof typeof builtInStores]
    : undefined;
  if (!definition) {
    const { loompaPlugins } = await import('./loompa-plugins.js');
    const stores: Record<string, PluginDefinition<StoreV1>> = loompaPlugins.stores;
    definition = Object.hasOwn(stores, kind) ? stores[kind] : undefined;
  }
  if (!definition)
    throw new InvalidArgumentError(`store.kind ${JSON.stringify(kind)} is not a store the CLI knows`);
  return definition.create(workflow.pluginSettings.store, {
    workflowDirectory: workflow.directory,
    repositoryPath: workflow.repositoryPath,
    stateDirectory,
    logger: createSilentLogger(),
    resolveAgent: (agentKind) => {
      throw new InvalidArgumentError(`a store cannot run agents (asked for ${agentKind})`);
    },
  });
}

/** Runs `use` with the workflow's store open, closing it afterwards. */
export async function withWorkflowStore<Result>(
  workflow: Workflow,
  stateDirectory: string,
  use: (store: OrchestratorStore) => Promise<Result>,
): Promise<Result> {
  const store = await openWorkflowStore(workflow, stateDirectory);
  try {
    return await use(store);
  } finally {
    await store.close?.();
  }
}
