import { describe, expect, it } from 'vitest';
import {
  editTaskFile,
  formatActivityLine,
  parseActivityLine,
  parseTaskFile,
  readTaskFile,
  renderNewTaskFile,
} from './task-file-format.js';

const handWritten = `---
# Written by a person, with a comment and a key the tracker does not know.
id: TASK-7
title: Fix the login form
status: Todo
priority: 2
labels: [Bug, ' UI ']
blocked_by:
  - TASK-3
estimate: 3 days
created: 2026-01-02T10:00:00.000Z
---

The form loses its state on reload.

## Notes

Seen on Firefox only.

## Activity

- 2026-01-02T10:00:00.000Z · alice · created
`;

describe('parseTaskFile', () => {
  it('reads front matter, description (without the activity section) and activity', () => {
    const task = parseTaskFile(handWritten, '/tasks/TASK-7.md', 'todo');
    expect(task).toMatchObject({
      id: 'TASK-7',
      title: 'Fix the login form',
      status: 'Todo',
      priority: 2,
      labels: ['Bug', 'UI'],
      blockedBy: ['TASK-3'],
      assignee: null,
      type: null,
      updated: null,
      filePath: '/tasks/TASK-7.md',
    });
    expect(task.created?.toISOString()).toBe('2026-01-02T10:00:00.000Z');
    expect(task.description).toBe('The form loses its state on reload.\n\n## Notes\n\nSeen on Firefox only.');
    expect(task.activity).toEqual([{ time: '2026-01-02T10:00:00.000Z', actor: 'alice', text: 'created' }]);
  });

  it('defaults a missing status and ignores a priority outside 1–4', () => {
    const task = parseTaskFile('---\nid: T-1\ntitle: Quick note\npriority: 9\n---\n', 'T-1.md', 'todo');
    expect(task.status).toBe('todo');
    expect(task.priority).toBeNull();
    expect(task.description).toBeNull();
    expect(task.activity).toEqual([]);
  });

  it('reads date-like text fields as text, exactly as the editing parser does', () => {
    const task = parseTaskFile('---\nid: T-1\ntitle: 2026-01-01\nstatus: todo\n---\n', 'T-1.md', 'todo');
    expect(task.title).toBe('2026-01-01');
  });

  it.each([
    ['no front matter', 'Just text\n', 1, 'does not start with YAML front matter'],
    ['an unclosed front matter', '---\nid: T-1\ntitle: x\n', 1, 'never closed'],
    [
      'bad YAML',
      '---\nid: T-1\nid: T-2\ntitle: x\n---\nbody\n',
      3,
      'invalid YAML front matter: Map keys must be unique',
    ],
    ['a list as front matter', '---\n- a\n---\n', 2, 'must be a YAML mapping'],
    ['a missing id', '---\ntitle: No id\n---\n', 2, 'has no "id"'],
    ['a missing title', '---\nid: T-1\nstatus: todo\n---\n', 2, 'has no "title"'],
    ['an empty title', '---\nid: T-1\n\ntitle: "  "\n---\n', 4, 'has no "title"'],
    [
      'labels that are not names',
      '---\nid: T-1\ntitle: x\nlabels: {a: 1}\n---\n',
      4,
      '"labels" must be a list',
    ],
  ])('reports %s with the file line', (_name, text, line, message) => {
    const result = readTaskFile(text, '/tasks/T-1.md', 'todo');
    expect('problem' in result).toBe(true);
    if (!('problem' in result)) return;
    expect(result.problem.filePath).toBe('/tasks/T-1.md');
    expect(result.problem.line).toBe(line);
    expect(result.problem.message).toContain(message);
  });
});

describe('editTaskFile', () => {
  it('changes only the given keys, keeps comments and unknown keys, and appends one activity line', () => {
    const time = new Date('2026-02-01T09:30:00.000Z');
    const edited = editTaskFile(
      handWritten,
      { status: 'in progress', labels: ['bug', 'ui', 'urgent'] },
      { time, actor: 'loompa', text: 'moved from Todo to in progress' },
    );
    expect(edited.slice(0, edited.indexOf('\n---\n') + 5)).toBe(`---
# Written by a person, with a comment and a key the tracker does not know.
id: TASK-7
title: Fix the login form
status: in progress
priority: 2
labels: [bug, ui, urgent]
blocked_by:
  - TASK-3
estimate: 3 days
created: 2026-01-02T10:00:00.000Z
updated: 2026-02-01T09:30:00.000Z
---
`);
    expect(edited).toContain('# Written by a person, with a comment and a key the tracker does not know.');
    expect(edited).toContain('estimate: 3 days');
    expect(edited).toContain('labels: [bug, ui, urgent]');
    expect(edited).toContain('updated: 2026-02-01T09:30:00.000Z');
    // Everything that was below the front matter is still there, byte for byte, with one line added.
    const originalBody = handWritten.slice(handWritten.indexOf('\n---\n') + 5);
    expect(
      edited.endsWith(
        `${originalBody}- 2026-02-01T09:30:00.000Z · loompa · moved from Todo to in progress\n`,
      ),
    ).toBe(true);
    const reparsed = parseTaskFile(edited, 'TASK-7.md', 'todo');
    expect(reparsed.status).toBe('in progress');
    expect(reparsed.activity).toHaveLength(2);
  });

  it('starts an activity section when the file has none and removes optional keys set to null', () => {
    const edited = editTaskFile(
      '---\nid: T-1\ntitle: x\nassignee: bob\n---\nSome text',
      { assignee: null },
      { time: new Date('2026-02-01T00:00:00.000Z'), actor: 'carol', text: 'unassigned' },
    );
    expect(edited).toBe(
      '---\nid: T-1\ntitle: x\nupdated: 2026-02-01T00:00:00.000Z\n---\nSome text\n\n## Activity\n\n- 2026-02-01T00:00:00.000Z · carol · unassigned\n',
    );
  });

  it('adds a new activity section when another section follows the old one', () => {
    const text = '---\nid: T-1\ntitle: x\n---\n## Activity\n\n- a line\n\n## Later notes\n\nText\n';
    const edited = editTaskFile(text, {}, { time: new Date(0), actor: 'a', text: 'b' });
    expect(edited.endsWith('Text\n\n## Activity\n\n- 1970-01-01T00:00:00.000Z · a · b\n')).toBe(true);
    expect(parseTaskFile(edited, 'T-1.md', 'todo').activity.map((entry) => entry.text)).toEqual([
      'a line',
      'b',
    ]);
  });
});

describe('activity lines', () => {
  it('fold multi-line text into one line and read back', () => {
    const line = formatActivityLine({
      time: new Date(0),
      actor: 'loompa',
      text: 'commented: first\n\nsecond',
    });
    expect(line).toBe('- 1970-01-01T00:00:00.000Z · loompa · commented: first second');
    expect(parseActivityLine(line)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      actor: 'loompa',
      text: 'commented: first second',
    });
    expect(parseActivityLine('- written by hand')).toEqual({
      time: null,
      actor: null,
      text: 'written by hand',
    });
  });
});

describe('renderNewTaskFile', () => {
  it('writes a file that parses back to the same fields', () => {
    const time = new Date('2026-03-01T12:00:00.000Z');
    const text = renderNewTaskFile(
      {
        id: 'TASK-1',
        title: 'Title: with a colon and "quotes"',
        status: 'todo',
        priority: 1,
        type: 'bug',
        labels: ['a', 'b'],
        assignee: 'dana',
        blockedBy: ['TASK-0'],
        description: 'Line one\n\nLine two',
      },
      { time, actor: 'loompa', text: 'created' },
    );
    const task = parseTaskFile(text, 'TASK-1.md', 'todo');
    expect(task).toMatchObject({
      id: 'TASK-1',
      title: 'Title: with a colon and "quotes"',
      priority: 1,
      type: 'bug',
      labels: ['a', 'b'],
      assignee: 'dana',
      blockedBy: ['TASK-0'],
      description: 'Line one\n\nLine two',
    });
    expect(task.created).toEqual(time);
    expect(task.activity).toEqual([{ time: time.toISOString(), actor: 'loompa', text: 'created' }]);
  });
});
