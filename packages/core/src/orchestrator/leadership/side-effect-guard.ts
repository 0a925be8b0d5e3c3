import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { TrackerV1 } from '../../specifications/tracker.js';

/** Methods that change something on the forge or the tracker (reads and claims are left alone). */
const sideEffects: ReadonlySet<string> = new Set([
  // SCM providers (getPushTarget comes before every push)
  'openChangeRequest',
  'getPushTarget',
  'updateChangeRequest',
  'rerunChecks',
  'upsertComment',
  'replyToThread',
  'resolveThread',
  'updateBranch',
  'merge',
  'approveChangeRequest',
  'closeChangeRequest',
  // trackers
  'transitionIssue',
  'commentOnIssue',
  'updateLabels',
  'createIssue',
]);

const guardedInstances = new WeakMap<object, object>();

/**
 * The tracker or SCM provider as a step that may have lost the lead sees it: each side effect
 * first asks `assertLeading`, which throws once another orchestrator leads (or this one's lease
 * ran out), so a step under way when the lead was lost writes no comment, pushes nothing and
 * opens no change request. The same proxy is returned for the same instance.
 */
export function guardSideEffects<Plugin extends TrackerV1 | ScmProviderV1>(
  instance: Plugin,
  assertLeading: (action: string) => void,
): Plugin {
  const known = guardedInstances.get(instance);
  if (known) return known as Plugin;
  const guarded = new Proxy(instance, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (typeof property !== 'string' || !sideEffects.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        try {
          assertLeading(`call ${target.name}.${property}`);
        } catch (error) {
          return Promise.reject(error);
        }
        return value.apply(target, args);
      };
    },
  });
  guardedInstances.set(instance, guarded);
  return guarded;
}
