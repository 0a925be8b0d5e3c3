import { normalizeName } from '@loompa/core';
import { withoutKeyMarker } from '@loompa/gitlab-client';
import { createFakeGitLab, type FakeGitLab, type SeedIssue } from '@loompa/testkit';
import { createGitLabTracker, type GitLabTracker, type GitLabTrackerSettings } from '../src/index.js';

export const projectPath = 'group/project';
const terminalStates = ['done', 'cancelled'];

export interface GitLabTrackerFixture {
  fake: FakeGitLab;
  tracker: GitLabTracker;
  /** Writes an issue straight into the fake, labelled as the tracker's conventions say. */
  seed(issue: SeedIssue): ReturnType<FakeGitLab['seedIssue']>;
  /** The bodies of an issue's notes, oldest first, without Loompa's key markers. */
  notesOf(iid: number): string[];
}

export async function createGitLabTrackerFixture(
  settings: Partial<GitLabTrackerSettings> = {},
): Promise<GitLabTrackerFixture> {
  const fake = await createFakeGitLab();
  await fake.createProject({ path: projectPath });
  const tracker = createGitLabTracker({
    client: { host: fake.url, token: fake.token },
    project: projectPath,
    pollIntervalMs: 50,
    ...settings,
  });
  const seed = (issue: SeedIssue) => {
    const state = normalizeName(issue.state);
    const closed = terminalStates.includes(state);
    const labels = [...(issue.labels ?? [])];
    if (state !== 'todo' && state !== 'done') labels.push(`status::${issue.state.trim()}`);
    if (issue.priority !== undefined) labels.push(`priority::${issue.priority}`);
    return fake.seedIssue(projectPath, {
      title: issue.title,
      description: issue.description ?? null,
      labels,
      state: closed ? 'closed' : 'opened',
    });
  };
  const notesOf = (iid: number) => {
    const issue = fake.project(projectPath).issues.find((candidate) => candidate.iid === iid)!;
    return issue.discussions
      .flatMap((discussion) => discussion.notes)
      .sort((left, right) => left.createdAt.getTime() - right.createdAt.getTime() || left.id - right.id)
      .map((note) => withoutKeyMarker(note.body));
  };
  return { fake, tracker, seed, notesOf };
}
