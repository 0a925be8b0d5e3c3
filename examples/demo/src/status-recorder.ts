import type { ChangeRequestStatus, PluginDefinition, ScmProviderV1 } from '@loompa/core';

/** One status the SCM provider reported to the orchestrator, in the order it was read. */
export interface ReportedStatus {
  branch: string;
  status: ChangeRequestStatus;
}

/**
 * Wraps an SCM plugin so every status it reports to the orchestrator is also kept here. The
 * closing table's checks and review columns come from these reports (and the orchestrator's
 * events), so they say what the provider saw, not what a merge implies.
 */
export function recordReportedStatuses<Settings>(definition: PluginDefinition<ScmProviderV1, Settings>): {
  definition: PluginDefinition<ScmProviderV1, Settings>;
  reported: ReportedStatus[];
} {
  const reported: ReportedStatus[] = [];
  const recording: PluginDefinition<ScmProviderV1, Settings> = {
    ...definition,
    create(settings, context) {
      const provider = definition.create(settings, context);
      const getStatus: ScmProviderV1['getStatus'] = async (options) => {
        const status = await provider.getStatus(options);
        reported.push({ branch: options.changeRequest.branch, status });
        return status;
      };
      // A proxy rather than a copy: providers are class instances whose methods live on the
      // prototype, and the orchestrator tells capabilities apart by whether a method exists.
      return new Proxy(provider, {
        get(target, property) {
          if (property === 'getStatus') return getStatus;
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
  return { definition: recording, reported };
}
