import type { PluginSchema } from '@loompa/core/schema';
import { type MarkdownTrackerSection, markdownTrackerSettingsSchema } from './markdown-tracker-schema.js';

/**
 * The `tracker: { kind: markdown }` section, as `@loompa/tracker-markdown/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const markdownTrackerSchema = {
  slot: 'tracker',
  kind: 'markdown',
  settingsSchema: markdownTrackerSettingsSchema,
} satisfies PluginSchema<MarkdownTrackerSection>;
