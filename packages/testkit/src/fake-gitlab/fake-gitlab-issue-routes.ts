import type { FakeGitLabIssue, FakeGitLabProject } from './fake-gitlab-model.js';
import { allNotes } from './fake-gitlab-model.js';
import {
  createIssueInput,
  createLabelInput,
  editIssueInput,
  emptyInput,
  listInput,
  listIssuesInput,
  listNotesInput,
  noteBodyInput,
  usersInput,
} from './fake-gitlab-request-schemas.js';
import { FakeGitLabHttpError, type Route, route } from './fake-gitlab-router.js';
import type { FakeGitLabService } from './fake-gitlab-service.js';
import { issueJson, labelJson, noteJson, projectJson, userJson } from './fake-gitlab-wire.js';

/** Users, projects, labels, issues and issue notes. */

export function findIssue(project: FakeGitLabProject, iid: string): FakeGitLabIssue {
  const issue = project.issues.find((candidate) => String(candidate.iid) === iid);
  if (!issue) throw new FakeGitLabHttpError(404, '404 Issue Not Found');
  return issue;
}

export function sortByDate<Item extends { createdAt: Date; updatedAt: Date; id: number }>(
  items: readonly Item[],
  orderBy: 'created_at' | 'updated_at' = 'created_at',
  sort: 'asc' | 'desc' = 'desc',
): Item[] {
  const key = orderBy === 'updated_at' ? 'updatedAt' : 'createdAt';
  const direction = sort === 'asc' ? 1 : -1;
  return [...items].sort(
    (left, right) => direction * (left[key].getTime() - right[key].getTime() || left.id - right.id),
  );
}

export function issueRoutes(service: FakeGitLabService): Route[] {
  const wire = service.wire;
  const issueNoteable = (issue: FakeGitLabIssue) => ({
    type: 'Issue' as const,
    id: issue.id,
    iid: issue.iid,
  });
  const touch = (project: FakeGitLabProject, issue: FakeGitLabIssue, action: string) => {
    issue.updatedAt = new Date(Math.max(Date.now(), issue.updatedAt.getTime() + 1));
    service.emit(project, 'Issue Hook', {
      object_kind: 'issue',
      object_attributes: {
        id: issue.id,
        iid: issue.iid,
        title: issue.title,
        state: issue.state,
        action,
        updated_at: issue.updatedAt.toISOString(),
      },
      labels: issue.labels.map((name) => ({ title: name })),
    });
  };

  return [
    route('GET', 'user', emptyInput, ({ user }) => ({ status: 200, json: userJson(wire, user.id) })),
    route('GET', 'users', usersInput, ({ input }) => ({
      status: 200,
      list: service.state.users
        .filter((user) => input.username === undefined || user.username === input.username)
        .map((user) => userJson(wire, user.id)),
    })),
    route('GET', 'projects/:project', emptyInput, ({ project }) => ({
      status: 200,
      json: projectJson(wire, project),
    })),
    route('GET', 'projects/:project/labels', listInput, ({ project }) => ({
      status: 200,
      list: project.labels.map(labelJson),
    })),
    route('POST', 'projects/:project/labels', createLabelInput, ({ project, input }) => {
      if (project.labels.some((label) => label.name.toLowerCase() === input.name.toLowerCase())) {
        throw new FakeGitLabHttpError(409, 'Label already exists');
      }
      const label = service.findOrCreateLabel(project, input.name);
      label.color = input.color;
      label.description = input.description ?? null;
      return { status: 201, json: labelJson(label) };
    }),
    route('GET', 'projects/:project/issues', listIssuesInput, ({ project, input }) => {
      const wantedLabels = (input.labels ?? []).map((label: string) => label.toLowerCase());
      const assignees =
        input.assignee_username === undefined
          ? null
          : (Array.isArray(input.assignee_username)
              ? input.assignee_username
              : [input.assignee_username]
            ).map(
              (username: string) => service.state.users.find((user) => user.username === username)?.id ?? -1,
            );
      const updatedAfter = input.updated_after ? new Date(input.updated_after) : null;
      const issues = project.issues.filter(
        (issue) =>
          (input.state === undefined || input.state === 'all' || issue.state === input.state) &&
          wantedLabels.every((wanted: string) =>
            issue.labels.some((label) => label.toLowerCase() === wanted),
          ) &&
          (input.iids === undefined || input.iids.includes(issue.iid)) &&
          (assignees === null || assignees.every((id: number) => issue.assigneeIds.includes(id))) &&
          (input.assignee_id === undefined || issue.assigneeIds.includes(input.assignee_id)) &&
          (input.milestone === undefined || issue.milestone === input.milestone) &&
          (updatedAfter === null || issue.updatedAt > updatedAfter) &&
          (input.search === undefined || `${issue.title} ${issue.description ?? ''}`.includes(input.search)),
      );
      return {
        status: 200,
        list: sortByDate(issues, input.order_by, input.sort).map((issue) => issueJson(wire, project, issue)),
      };
    }),
    route('GET', 'projects/:project/issues/:iid', emptyInput, ({ project, params }) => ({
      status: 200,
      json: issueJson(wire, project, findIssue(project, params.iid!)),
    })),
    route('POST', 'projects/:project/issues', createIssueInput, ({ project, input, user }) => {
      const now = input.created_at ? new Date(input.created_at) : new Date();
      const issue: FakeGitLabIssue = {
        id: service.state.ids.take(),
        iid: project.nextIssueIid++,
        projectId: project.id,
        title: input.title,
        description: input.description ?? null,
        state: 'opened',
        labels: service.applyLabels(project, [], { add: input.labels ?? [] }),
        assigneeIds: input.assignee_ids ?? [],
        milestone: null,
        authorId: user.id,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
        discussions: [],
      };
      project.issues.push(issue);
      touch(project, issue, 'open');
      return { status: 201, json: issueJson(wire, project, issue) };
    }),
    route('PUT', 'projects/:project/issues/:iid', editIssueInput, ({ project, params, input }) => {
      const issue = findIssue(project, params.iid!);
      if (input.title !== undefined) issue.title = input.title;
      if (input.description !== undefined) issue.description = input.description;
      if (input.labels !== undefined || input.add_labels !== undefined || input.remove_labels !== undefined) {
        issue.labels = service.applyLabels(project, issue.labels, {
          ...(input.labels !== undefined ? { set: input.labels } : {}),
          add: input.add_labels ?? [],
          remove: input.remove_labels ?? [],
        });
      }
      if (input.assignee_ids !== undefined) {
        // GitLab drops ids of users it does not know instead of failing.
        issue.assigneeIds = input.assignee_ids.filter((id: number) =>
          service.state.users.some((user) => user.id === id),
        );
      }
      let action = 'update';
      if (input.state_event === 'close' && issue.state !== 'closed') {
        issue.state = 'closed';
        issue.closedAt = new Date();
        action = 'close';
      } else if (input.state_event === 'reopen' && issue.state !== 'opened') {
        issue.state = 'opened';
        issue.closedAt = null;
        action = 'reopen';
      }
      touch(project, issue, action);
      return { status: 200, json: issueJson(wire, project, issue) };
    }),
    route('GET', 'projects/:project/issues/:iid/notes', listNotesInput, ({ project, params, input }) => {
      const issue = findIssue(project, params.iid!);
      return {
        status: 200,
        list: sortByDate(allNotes(issue.discussions), input.order_by, input.sort).map((note) =>
          noteJson(wire, note, issueNoteable(issue)),
        ),
      };
    }),
    route(
      'POST',
      'projects/:project/issues/:iid/notes',
      noteBodyInput,
      ({ project, params, input, user }) => {
        const issue = findIssue(project, params.iid!);
        const note = service.newNote(user.id, input.body);
        issue.discussions.push(service.newDiscussion([note], true));
        touch(project, issue, 'update');
        service.emit(project, 'Note Hook', {
          object_kind: 'note',
          object_attributes: { id: note.id, note: note.body, noteable_type: 'Issue' },
          issue: { id: issue.id, iid: issue.iid },
        });
        return { status: 201, json: noteJson(wire, note, issueNoteable(issue)) };
      },
    ),
    route(
      'PUT',
      'projects/:project/issues/:iid/notes/:note',
      noteBodyInput,
      ({ project, params, input, user }) => {
        const issue = findIssue(project, params.iid!);
        const note = allNotes(issue.discussions).find((candidate) => String(candidate.id) === params.note);
        if (!note) throw new FakeGitLabHttpError(404, '404 Note Not Found');
        if (note.authorId !== user.id) throw new FakeGitLabHttpError(403, '403 Forbidden');
        note.body = input.body;
        note.updatedAt = new Date();
        touch(project, issue, 'update');
        return { status: 200, json: noteJson(wire, note, issueNoteable(issue)) };
      },
    ),
  ];
}
