import { sortByDate } from './fake-gitlab-issue-routes.js';
import type { FakeGitLabMergeRequest, FakeGitLabProject } from './fake-gitlab-model.js';
import { allNotes, findProject } from './fake-gitlab-model.js';
import {
  deleteBranch,
  fetchForkHead,
  mergeIntoTarget,
  readBranchHead,
  rebaseBranch,
} from './fake-gitlab-repository.js';
import {
  acceptMergeRequestInput,
  approveInput,
  createDiscussionInput,
  createMergeRequestInput,
  editMergeRequestInput,
  emptyInput,
  listInput,
  listMergeRequestsInput,
  listNotesInput,
  noteBodyInput,
  rebaseInput,
  resolveDiscussionInput,
  showMergeRequestInput,
} from './fake-gitlab-request-schemas.js';
import { FakeGitLabHttpError, type Route, route } from './fake-gitlab-router.js';
import type { FakeGitLabService } from './fake-gitlab-service.js';
import { discussionJson, noteJson, pipelineJson, userJson } from './fake-gitlab-wire.js';

/** Merge requests: create, find, edit, notes, discussions, approvals, rebase and merge. */

export function findMergeRequest(project: FakeGitLabProject, iid: string): FakeGitLabMergeRequest {
  const mergeRequest = project.mergeRequests.find((candidate) => String(candidate.iid) === iid);
  if (!mergeRequest) throw new FakeGitLabHttpError(404, '404 Not found');
  return mergeRequest;
}

/** Lands a merge request on its target branch; the caller has checked that it may. */
export async function mergeNow(
  service: FakeGitLabService,
  project: FakeGitLabProject,
  mergeRequest: FakeGitLabMergeRequest,
  options: { squash: boolean; removeSourceBranch: boolean },
): Promise<void> {
  const landed = await mergeIntoTarget(project.repositoryPath, mergeRequest.targetBranch, mergeRequest.sha, {
    fastForwardOnly: project.mergeMethod === 'ff',
    squash: options.squash,
    message: `Merge branch '${mergeRequest.sourceBranch}' into '${mergeRequest.targetBranch}'\n\n${mergeRequest.title}\n\nSee merge request ${project.pathWithNamespace}!${mergeRequest.iid}`,
  });
  if (landed === null) throw new FakeGitLabHttpError(406, 'Branch cannot be merged');
  const now = new Date();
  mergeRequest.state = 'merged';
  mergeRequest.mergedAt = now;
  mergeRequest.updatedAt = now;
  mergeRequest.mergeCommitSha = landed.mergeCommit;
  mergeRequest.squashCommitSha = landed.squashCommit;
  mergeRequest.pendingAutoMerge = null;
  mergeRequest.mergeWhenPipelineSucceeds = false;
  // A fork's branch belongs to its owner: only a same-project source branch is removed.
  if (
    (options.removeSourceBranch || mergeRequest.removeSourceBranch) &&
    mergeRequest.sourceProjectId === project.id
  ) {
    await deleteBranch(project.repositoryPath, mergeRequest.sourceBranch);
  }
  service.emitMergeRequest(project, mergeRequest, 'merge');
  await service.syncProject(project);
}

export function mergeRequestRoutes(service: FakeGitLabService): Route[] {
  const wire = service.wire;
  const noteable = (mergeRequest: FakeGitLabMergeRequest) => ({
    type: 'MergeRequest' as const,
    id: mergeRequest.id,
    iid: mergeRequest.iid,
  });
  const touch = (mergeRequest: FakeGitLabMergeRequest) => {
    mergeRequest.updatedAt = new Date(Math.max(Date.now(), mergeRequest.updatedAt.getTime() + 1));
  };
  const findDiscussion = (mergeRequest: FakeGitLabMergeRequest, id: string) => {
    const discussion = mergeRequest.discussions.find((candidate) => candidate.id === id);
    if (!discussion) throw new FakeGitLabHttpError(404, '404 Discussion Not Found');
    return discussion;
  };
  const show = (project: FakeGitLabProject, mergeRequest: FakeGitLabMergeRequest, includeRebase = false) =>
    service.mergeRequestView(project, mergeRequest, {
      includeRebaseInProgress: includeRebase,
      recheck: true,
    });

  service.onPipelineSucceeded = async (project, mergeRequest) => {
    const pending = mergeRequest.pendingAutoMerge;
    if (!pending || (pending.sha !== null && pending.sha !== mergeRequest.sha)) return;
    if ((await service.mergeStatusNow(project, mergeRequest)) !== 'mergeable') return;
    await mergeNow(service, project, mergeRequest, { squash: pending.squash, removeSourceBranch: false });
  };

  return [
    route('GET', 'projects/:project/merge_requests', listMergeRequestsInput, async ({ project, input }) => {
      await service.syncProject(project);
      const mergeRequests = project.mergeRequests.filter(
        (mergeRequest) =>
          (input.state === undefined || input.state === 'all' || mergeRequest.state === input.state) &&
          (input.source_branch === undefined || mergeRequest.sourceBranch === input.source_branch) &&
          (input.target_branch === undefined || mergeRequest.targetBranch === input.target_branch) &&
          (input.iids === undefined || input.iids.includes(mergeRequest.iid)) &&
          (input.labels ?? []).every((wanted: string) =>
            mergeRequest.labels.some((label) => label.toLowerCase() === wanted.toLowerCase()),
          ),
      );
      const sorted = sortByDate(mergeRequests, input.order_by, input.sort);
      return {
        status: 200,
        list: await Promise.all(
          sorted.map((mergeRequest) =>
            service.mergeRequestView(project, mergeRequest, {
              includeRebaseInProgress: false,
              recheck: input.with_merge_status_recheck ?? false,
            }),
          ),
        ),
      };
    }),
    route(
      'POST',
      'projects/:project/merge_requests',
      createMergeRequestInput,
      async ({ project: source, input, user }) => {
        // From a fork, the merge request is the target project's (as on GitLab): POSTed to the
        // fork with `target_project_id` naming the project it was forked from.
        let project = source;
        if (input.target_project_id !== undefined && input.target_project_id !== source.id) {
          const target = findProject(service.state, String(input.target_project_id));
          if (!target || source.forkedFromProjectId !== target.id) {
            throw new FakeGitLabHttpError(400, 'target_project_id must be the project this one is a fork of');
          }
          project = target;
        }
        await service.syncProject(source);
        const head = await readBranchHead(source.repositoryPath, input.source_branch);
        if (head === null) throw new FakeGitLabHttpError(400, 'Source branch does not exist');
        if ((await readBranchHead(project.repositoryPath, input.target_branch)) === null) {
          throw new FakeGitLabHttpError(400, 'Target branch does not exist');
        }
        const duplicate = project.mergeRequests.find(
          (candidate) =>
            candidate.state === 'opened' &&
            candidate.sourceProjectId === source.id &&
            candidate.sourceBranch === input.source_branch &&
            candidate.targetBranch === input.target_branch,
        );
        if (duplicate) {
          throw new FakeGitLabHttpError(409, [
            `Another open merge request already exists for this source branch: !${duplicate.iid}`,
          ]);
        }
        const now = new Date();
        const mergeRequest: FakeGitLabMergeRequest = {
          id: service.state.ids.take(),
          iid: project.nextMergeRequestIid++,
          projectId: project.id,
          title: input.title,
          description: input.description ?? '',
          state: 'opened',
          sourceBranch: input.source_branch,
          sourceProjectId: source.id,
          allowCollaboration: source.id !== project.id && (input.allow_collaboration ?? false),
          targetBranch: input.target_branch,
          authorId: user.id,
          draft: input.draft ?? /^(draft:|\[draft\]|\(draft\))/i.test(input.title),
          createdAt: now,
          updatedAt: now,
          mergedAt: null,
          closedAt: null,
          sha: head,
          mergeCommitSha: null,
          squashCommitSha: null,
          removeSourceBranch: input.remove_source_branch ?? false,
          labels: service.applyLabels(project, [], { add: input.labels ?? [] }),
          discussions: [],
          approvedByIds: [],
          reviewers: new Map(),
          mergeCheck: null,
          rebaseInProgress: false,
          mergeError: null,
          mergeWhenPipelineSucceeds: false,
          pendingAutoMerge: null,
        };
        if (source !== project) {
          await fetchForkHead(
            project.repositoryPath,
            source.repositoryPath,
            mergeRequest.sourceBranch,
            `refs/merge-requests/${mergeRequest.iid}/head`,
          );
        }
        project.mergeRequests.push(mergeRequest);
        service.emitMergeRequest(project, mergeRequest, 'open');
        return { status: 201, json: await show(project, mergeRequest) };
      },
    ),
    route(
      'GET',
      'projects/:project/merge_requests/:iid',
      showMergeRequestInput,
      async ({ project, params, input }) => {
        await service.syncProject(project);
        const mergeRequest = findMergeRequest(project, params.iid!);
        return {
          status: 200,
          json: await show(project, mergeRequest, input.include_rebase_in_progress ?? false),
        };
      },
    ),
    route(
      'PUT',
      'projects/:project/merge_requests/:iid',
      editMergeRequestInput,
      async ({ project, params, input }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        if (input.title !== undefined) {
          mergeRequest.title = input.title;
          mergeRequest.draft = /^(draft:|\[draft\]|\(draft\))/i.test(input.title);
        }
        if (input.description !== undefined) mergeRequest.description = input.description;
        if (input.target_branch !== undefined) mergeRequest.targetBranch = input.target_branch;
        if (input.remove_source_branch !== undefined)
          mergeRequest.removeSourceBranch = input.remove_source_branch;
        if (
          input.labels !== undefined ||
          input.add_labels !== undefined ||
          input.remove_labels !== undefined
        ) {
          mergeRequest.labels = service.applyLabels(project, mergeRequest.labels, {
            ...(input.labels !== undefined ? { set: input.labels } : {}),
            add: input.add_labels ?? [],
            remove: input.remove_labels ?? [],
          });
        }
        if (input.state_event === 'close' && mergeRequest.state === 'opened') {
          mergeRequest.state = 'closed';
          mergeRequest.closedAt = new Date();
        } else if (input.state_event === 'reopen' && mergeRequest.state === 'closed') {
          mergeRequest.state = 'opened';
          mergeRequest.closedAt = null;
        }
        touch(mergeRequest);
        service.emitMergeRequest(project, mergeRequest, input.state_event ?? 'update');
        return { status: 200, json: await show(project, mergeRequest) };
      },
    ),
    route(
      'PUT',
      'projects/:project/merge_requests/:iid/merge',
      acceptMergeRequestInput,
      async ({ project, params, input }) => {
        await service.syncProject(project);
        const mergeRequest = findMergeRequest(project, params.iid!);
        if (mergeRequest.state !== 'opened') throw new FakeGitLabHttpError(405, '405 Method Not Allowed');
        if (input.sha !== undefined && input.sha !== mergeRequest.sha) {
          throw new FakeGitLabHttpError(409, `SHA does not match HEAD of source branch: ${mergeRequest.sha}`);
        }
        const automatic = input.merge_when_pipeline_succeeds ?? input.auto_merge ?? false;
        const pipeline = service.headPipeline(project, mergeRequest);
        if (automatic && pipeline && ['created', 'pending', 'running'].includes(pipeline.status)) {
          mergeRequest.mergeWhenPipelineSucceeds = true;
          mergeRequest.pendingAutoMerge = { sha: input.sha ?? null, squash: input.squash ?? false };
          touch(mergeRequest);
          return { status: 200, json: await show(project, mergeRequest) };
        }
        // GitLab checks mergeability synchronously on merge.
        const status = await service.mergeStatusNow(project, mergeRequest);
        if (status === 'conflict' || status === 'need_rebase') {
          throw new FakeGitLabHttpError(406, 'Branch cannot be merged');
        }
        if (status !== 'mergeable') throw new FakeGitLabHttpError(405, '405 Method Not Allowed');
        await mergeNow(service, project, mergeRequest, {
          squash: input.squash ?? false,
          removeSourceBranch: input.should_remove_source_branch ?? false,
        });
        return { status: 200, json: await show(project, mergeRequest) };
      },
    ),
    route(
      'PUT',
      'projects/:project/merge_requests/:iid/rebase',
      rebaseInput,
      async ({ project, params, input }) => {
        await service.syncProject(project);
        const mergeRequest = findMergeRequest(project, params.iid!);
        if (mergeRequest.state !== 'opened')
          throw new FakeGitLabHttpError(403, 'Cannot push to source branch');
        if (mergeRequest.rebaseInProgress) {
          throw new FakeGitLabHttpError(
            409,
            'Failed to enqueue the rebase operation, possibly due to a long-lived transaction. Try again later.',
          );
        }
        if (mergeRequest.sourceProjectId !== project.id) {
          // GitLab rebases a fork's branch only with collaboration allowed; the fake does not model it at all.
          throw new FakeGitLabHttpError(
            403,
            'the fake GitLab rebases only merge requests whose branch is in the project',
          );
        }
        if ((await readBranchHead(project.repositoryPath, mergeRequest.sourceBranch)) === null) {
          throw new FakeGitLabHttpError(403, 'Source branch does not exist');
        }
        mergeRequest.rebaseInProgress = true;
        mergeRequest.mergeError = null;
        const skipContinuousIntegration = input.skip_ci ?? false;
        service.inBackground(async () => {
          try {
            const onto = await readBranchHead(project.repositoryPath, mergeRequest.targetBranch);
            const rebased =
              onto === null
                ? null
                : await rebaseBranch(
                    project.repositoryPath,
                    mergeRequest.sourceBranch,
                    mergeRequest.sha,
                    onto,
                  );
            if (rebased === null) {
              mergeRequest.mergeError = 'Rebase failed. Please rebase locally';
            } else if (skipContinuousIntegration) {
              project.knownBranchHeads.set(mergeRequest.sourceBranch, rebased);
              mergeRequest.sha = rebased;
            } else {
              await service.syncProject(project);
            }
          } finally {
            mergeRequest.rebaseInProgress = false;
            touch(mergeRequest);
          }
        });
        return { status: 202, json: { rebase_in_progress: true } };
      },
    ),
    route(
      'GET',
      'projects/:project/merge_requests/:iid/pipelines',
      listInput,
      async ({ project, params }) => {
        await service.syncProject(project);
        const mergeRequest = findMergeRequest(project, params.iid!);
        const pipelines = project.pipelines
          .filter(
            (pipeline) => pipeline.ref === mergeRequest.sourceBranch && pipeline.source !== 'parent_pipeline',
          )
          .reverse();
        return { status: 200, list: pipelines.map((pipeline) => pipelineJson(wire, project, pipeline)) };
      },
    ),
    route(
      'GET',
      'projects/:project/merge_requests/:iid/notes',
      listNotesInput,
      ({ project, params, input }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        return {
          status: 200,
          list: sortByDate(allNotes(mergeRequest.discussions), input.order_by, input.sort).map((note) =>
            noteJson(wire, note, noteable(mergeRequest)),
          ),
        };
      },
    ),
    route(
      'POST',
      'projects/:project/merge_requests/:iid/notes',
      noteBodyInput,
      ({ project, params, input, user }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        const note = service.newNote(user.id, input.body);
        mergeRequest.discussions.push(service.newDiscussion([note], true));
        touch(mergeRequest);
        service.emitMergeRequestNote(project, mergeRequest, note);
        return { status: 201, json: noteJson(wire, note, noteable(mergeRequest)) };
      },
    ),
    route(
      'PUT',
      'projects/:project/merge_requests/:iid/notes/:note',
      noteBodyInput,
      ({ project, params, input, user }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        const note = allNotes(mergeRequest.discussions).find(
          (candidate) => String(candidate.id) === params.note,
        );
        if (!note) throw new FakeGitLabHttpError(404, '404 Note Not Found');
        if (note.authorId !== user.id) throw new FakeGitLabHttpError(403, '403 Forbidden');
        note.body = input.body;
        note.updatedAt = new Date();
        touch(mergeRequest);
        return { status: 200, json: noteJson(wire, note, noteable(mergeRequest)) };
      },
    ),
    route('GET', 'projects/:project/merge_requests/:iid/discussions', listInput, ({ project, params }) => {
      const mergeRequest = findMergeRequest(project, params.iid!);
      return {
        status: 200,
        list: mergeRequest.discussions.map((discussion) =>
          discussionJson(wire, discussion, noteable(mergeRequest)),
        ),
      };
    }),
    route(
      'POST',
      'projects/:project/merge_requests/:iid/discussions',
      createDiscussionInput,
      ({ project, params, input, user }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        const note = service.newNote(user.id, input.body, {
          resolvable: true,
          position: input.position
            ? { newPath: input.position.new_path, newLine: input.position.new_line }
            : null,
        });
        const discussion = service.newDiscussion([note], false);
        mergeRequest.discussions.push(discussion);
        touch(mergeRequest);
        service.emitMergeRequestNote(project, mergeRequest, note);
        return { status: 201, json: discussionJson(wire, discussion, noteable(mergeRequest)) };
      },
    ),
    route(
      'POST',
      'projects/:project/merge_requests/:iid/discussions/:discussion/notes',
      noteBodyInput,
      ({ project, params, input, user }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        const discussion = findDiscussion(mergeRequest, params.discussion!);
        const first = discussion.notes[0];
        const note = service.newNote(user.id, input.body, {
          resolvable: first?.resolvable ?? false,
          resolved: first?.resolved ?? false,
          position: first?.position ?? null,
        });
        discussion.notes.push(note);
        discussion.individualNote = false;
        touch(mergeRequest);
        service.emitMergeRequestNote(project, mergeRequest, note);
        return { status: 201, json: noteJson(wire, note, noteable(mergeRequest)) };
      },
    ),
    route(
      'PUT',
      'projects/:project/merge_requests/:iid/discussions/:discussion',
      resolveDiscussionInput,
      ({ project, params, input, user }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        const discussion = findDiscussion(mergeRequest, params.discussion!);
        if (!discussion.notes.some((note) => note.resolvable)) {
          throw new FakeGitLabHttpError(400, 'Discussion is not resolvable');
        }
        for (const note of discussion.notes) {
          if (!note.resolvable) continue;
          note.resolved = input.resolved;
          note.resolvedById = input.resolved ? user.id : null;
        }
        touch(mergeRequest);
        return { status: 200, json: discussionJson(wire, discussion, noteable(mergeRequest)) };
      },
    ),
    route('GET', 'projects/:project/merge_requests/:iid/approvals', emptyInput, ({ project, params }) => {
      const mergeRequest = findMergeRequest(project, params.iid!);
      const left = Math.max(0, project.approvalsRequired - mergeRequest.approvedByIds.length);
      return {
        status: 200,
        json: {
          id: mergeRequest.id,
          iid: mergeRequest.iid,
          project_id: project.id,
          approved: left === 0 && (project.approvalsRequired > 0 || mergeRequest.approvedByIds.length > 0),
          approvals_required: project.approvalsRequired,
          approvals_left: left,
          approved_by: mergeRequest.approvedByIds.map((id) => ({ user: userJson(wire, id) })),
        },
      };
    }),
    route(
      'POST',
      'projects/:project/merge_requests/:iid/approve',
      approveInput,
      async ({ project, params, input, user }) => {
        await service.syncProject(project);
        const mergeRequest = findMergeRequest(project, params.iid!);
        if (input.sha !== undefined && input.sha !== mergeRequest.sha) {
          throw new FakeGitLabHttpError(409, 'SHA does not match HEAD of source branch');
        }
        if (mergeRequest.authorId === user.id) throw new FakeGitLabHttpError(401, '401 Unauthorized');
        if (!mergeRequest.approvedByIds.includes(user.id)) mergeRequest.approvedByIds.push(user.id);
        mergeRequest.reviewers.set(user.id, 'reviewed');
        touch(mergeRequest);
        return { status: 201, json: { id: mergeRequest.id, iid: mergeRequest.iid } };
      },
    ),
    route(
      'POST',
      'projects/:project/merge_requests/:iid/unapprove',
      emptyInput,
      ({ project, params, user }) => {
        const mergeRequest = findMergeRequest(project, params.iid!);
        mergeRequest.approvedByIds = mergeRequest.approvedByIds.filter((id) => id !== user.id);
        touch(mergeRequest);
        return { status: 201, json: { id: mergeRequest.id, iid: mergeRequest.iid } };
      },
    ),
    route('GET', 'projects/:project/merge_requests/:iid/reviewers', emptyInput, ({ project, params }) => {
      const mergeRequest = findMergeRequest(project, params.iid!);
      return {
        status: 200,
        json: [...mergeRequest.reviewers].map(([id, state]) => ({
          user: userJson(wire, id),
          state,
          created_at: mergeRequest.createdAt.toISOString(),
        })),
      };
    }),
  ];
}
