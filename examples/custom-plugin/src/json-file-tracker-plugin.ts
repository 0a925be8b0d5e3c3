import { expandPathSetting, type PluginDefinition, type TrackerV1 } from '@loompa/core';
import { z } from 'zod';
import { createJsonFileTracker } from './json-file-tracker.js';

/**
 * The plugin's keys in the `tracker:` section of WORKFLOW.md. The section is shared with
 * core (`kind`, `active_states`, …), so unknown keys pass through (`looseObject`).
 */
export const jsonFileTrackerSettingsSchema = z.looseObject({
  file: z
    .string()
    .min(1)
    .default('issues.json')
    .describe('The JSON file of issues, relative to WORKFLOW.md.'),
  identifier_prefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a prefix of letters, digits and underscores that starts with a letter')
    .default('JSON')
    .describe('Issue identifiers are <identifier_prefix>-<id>.'),
});

export type JsonFileTrackerSection = z.output<typeof jsonFileTrackerSettingsSchema>;

/** Register as `trackers: { 'json-file': jsonFileTracker }` and select with `tracker.kind: json-file`. */
export const jsonFileTracker: PluginDefinition<TrackerV1, JsonFileTrackerSection> = {
  settingsSchema: jsonFileTrackerSettingsSchema,
  create(settings, context) {
    return createJsonFileTracker({
      filePath: expandPathSetting(settings.file, context.workflowDirectory),
      identifierPrefix: settings.identifier_prefix,
    });
  },
};
