import type { Focus } from '../specifications/focus.js';
import type { WorkflowConfig } from '../workflow/workflow-schema.js';
import { builtInFoci, generalFocus } from './built-in-foci.js';

/** The built-in foci with the workflow's `foci:` entries applied (override by name, or add). */
export function resolveFoci(config: WorkflowConfig): Focus[] {
  const foci = new Map(builtInFoci.map((focus) => [focus.name, { ...focus }]));
  for (const [name, settings] of Object.entries(config.foci)) {
    const base: Focus = foci.get(name) ?? { ...generalFocus, name, role: name };
    foci.set(name, {
      name,
      role: settings.role ?? base.role,
      instructions: settings.instructions ?? base.instructions,
      keywords: settings.keywords ?? base.keywords,
      types: settings.types ?? base.types,
      labels: settings.labels ?? base.labels,
      model: settings.model === undefined ? base.model : settings.model,
      agentKind: settings.agent === undefined ? base.agentKind : settings.agent,
    });
  }
  return [...foci.values()];
}
