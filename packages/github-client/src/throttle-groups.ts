import Bottleneck from 'bottleneck';

export interface WriteSpacing {
  /** Least time between two mutating requests; GitHub asks for at least 1 s. */
  minimumWriteIntervalMs: number;
  /** Least time between two requests that create content (comments, issues); plugin-throttling's 3 s. */
  minimumContentCreationIntervalMs: number;
}

interface ThrottleGroups {
  write: Bottleneck.Group;
  notifications: Bottleneck.Group;
}

const groupsById = new Map<string, ThrottleGroups>();

/**
 * The write and content-creation queues for one credential. plugin-throttling keeps its queues
 * module-global, so every client in a process would share one write queue; here clients with
 * the same credential (a tracker and an SCM provider on one token) share theirs, and clients
 * with different credentials do not wait for each other.
 */
export function throttleGroupsFor(id: string, spacing: WriteSpacing): ThrottleGroups {
  const key = `${id}:${spacing.minimumWriteIntervalMs}:${spacing.minimumContentCreationIntervalMs}`;
  let groups = groupsById.get(key);
  if (!groups) {
    groups = {
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing.minimumWriteIntervalMs }),
      notifications: new Bottleneck.Group({
        maxConcurrent: 1,
        minTime: spacing.minimumContentCreationIntervalMs,
      }),
    };
    groupsById.set(key, groups);
  }
  return groups;
}
