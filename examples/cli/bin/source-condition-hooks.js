/**
 * Module resolution hook that adds the `@loompa/source` export condition, so workspace
 * packages resolve to their TypeScript sources exactly as `node --conditions=@loompa/source`
 * would make them (a flag that cannot be set once the process runs).
 */
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@loompa/source')
    ? context.conditions
    : ['@loompa/source', ...context.conditions];
  return nextResolve(specifier, { ...context, conditions });
}
