import {
  booleanSetting,
  nameList,
  nonNegativeInteger,
  optionalString,
  positiveInteger,
} from '@loompa/core/schema';
import { z } from 'zod';
import {
  defaultActiveStates,
  defaultIdPrefix,
  defaultTaskDirectory,
  defaultTerminalStates,
  idPrefixPattern,
} from './markdown-task-settings.js';

/**
 * The `tracker:` section of WORKFLOW.md as the markdown tracker reads it. Core validates the
 * shared keys (`kind`, `required_labels`, …) too; unknown keys pass through for it.
 */
export const markdownTrackerSettingsSchema = z
  .looseObject({
    directory: z
      .string()
      .min(1)
      .default(defaultTaskDirectory)
      .describe('Folder of the task files, relative to the source checkout.'),
    id_prefix: z
      .string()
      .regex(idPrefixPattern, 'a prefix of letters, digits and underscores that starts with a letter')
      .default(defaultIdPrefix)
      .describe('Task ids are <id_prefix>-<n>.'),
    active_states: nameList
      .refine((states) => states.length > 0, 'must name at least one state')
      .default(defaultActiveStates)
      .describe('States whose tasks are worked on; new tasks start in the first.'),
    terminal_states: nameList
      .refine((states) => states.length > 0, 'must name at least one state')
      .default(defaultTerminalStates)
      .describe('States in which a task is finished.'),
    extra_states: nameList.default([]).describe('Further states tasks may be moved to.'),
    review_state: optionalString.describe('State a task moves to when its change request opens.'),
    done_state: optionalString.describe('State a task moves to when its change request merges.'),
    commit: booleanSetting
      .default(false)
      .describe("Commit the tracker's task-file changes to the current branch."),
    push: booleanSetting.default(false).describe('Push the branch after each commit; needs commit: true.'),
    remote: z.string().min(1).default('origin').describe('Remote to push to.'),
    commit_delay_ms: nonNegativeInteger
      .default(1_000)
      .describe('Writes within this window become one commit; 0 commits only when the orchestrator flushes.'),
    commit_author_name: optionalString.describe(
      "Author name of the tracker's commits; git's identity when unset.",
    ),
    commit_author_email: optionalString.describe(
      "Author email of the tracker's commits; git's identity when unset.",
    ),
    actor: z.string().min(1).default('loompa').describe('Name written in activity lines.'),
    watch_debounce_ms: positiveInteger.default(100).describe('Quiet time after file events before a tick.'),
  })
  .superRefine((section, context) => {
    if (section.push && !section.commit) {
      context.addIssue({ code: 'custom', path: ['push'], message: 'push: true needs commit: true' });
    }
    if ((section.commit_author_name === null) !== (section.commit_author_email === null)) {
      const given = section.commit_author_name === null ? 'commit_author_email' : 'commit_author_name';
      const missing = given === 'commit_author_name' ? 'commit_author_email' : 'commit_author_name';
      context.addIssue({ code: 'custom', path: [given], message: `${given} needs ${missing} as well` });
    }
    const overlap = section.active_states.filter((state) => section.terminal_states.includes(state));
    if (overlap.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['terminal_states'],
        message: `states cannot be both active and terminal: ${overlap.join(', ')}`,
      });
    }
  });

/** The parsed `tracker:` section. */
export type MarkdownTrackerSection = z.output<typeof markdownTrackerSettingsSchema>;
