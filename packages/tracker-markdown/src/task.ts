/** One line of a task's `## Activity` section. */
export interface ActivityEntry {
  /** ISO-8601 time of the event; null for a line the tracker did not write in its own format. */
  time: string | null;
  /** Who did it (`loompa`, a person's name); null for a free-form line. */
  actor: string | null;
  /** What happened, e.g. `moved to done` or `commented: …`. */
  text: string;
}

/** A task file as the programmatic API sees it: front matter fields, description and activity. */
export interface Task {
  id: string;
  title: string;
  /** As written in the file; compare with `normalizeName`. */
  status: string;
  /** 1 (urgent) … 4 (low); null when unset or not 1–4. */
  priority: number | null;
  type: string | null;
  /** As written in the file. */
  labels: string[];
  assignee: string | null;
  /** Ids of the tasks that must be terminal before this one can be worked on. */
  blockedBy: string[];
  created: Date | null;
  updated: Date | null;
  /** The body above the `## Activity` section, trimmed; null when empty. */
  description: string | null;
  activity: ActivityEntry[];
  /** Absolute path of the task file. */
  filePath: string;
}

/** Fields accepted by `createTask`. */
export interface NewTask {
  title: string;
  description?: string | null;
  /** Defaults to the first active state. */
  status?: string;
  priority?: number | null;
  type?: string | null;
  labels?: readonly string[];
  assignee?: string | null;
  blockedBy?: readonly string[];
}

/** Front matter fields an update may set; absent fields stay as they are, null removes optional ones. */
export interface TaskPatch {
  title?: string;
  status?: string;
  priority?: number | null;
  type?: string | null;
  labels?: readonly string[];
  assignee?: string | null;
  blockedBy?: readonly string[];
}

/** A task file the tracker could not use, with where and why. */
export interface TaskFileProblem {
  filePath: string;
  /** 1-based line of the problem in the file, when known. */
  line: number | null;
  message: string;
}
