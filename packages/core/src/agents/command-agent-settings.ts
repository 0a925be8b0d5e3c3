import { z } from 'zod';

/** Settings of the `command:` section of WORKFLOW.md (apart from the agent, so checking a workflow runs no process code). */
export const commandAgentSettingsSchema = z.object({
  /** A shell command (run with `sh -c`), or argv as a list. The prompt arrives on stdin. */
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
});

export type CommandAgentSettings = z.input<typeof commandAgentSettingsSchema>;
