import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testTracker } from '@loompa/testkit';
import { createMarkdownTracker } from '../src/index.js';
import { createTemporaryDirectory } from './temporary-repository.js';

testTracker({
  name: 'markdown',
  async setup() {
    const directory = await createTemporaryDirectory();
    const tracker = createMarkdownTracker({ repositoryPath: directory.path, watchDebounceMs: 20 });
    let seeded = 0;
    return {
      tracker,
      // Seeds by writing the file a person would write, not through the tracker.
      async seedIssue(issue) {
        seeded++;
        const id = `SEED-${seeded}`;
        const labels = (issue.labels ?? []).map((label) => JSON.stringify(label)).join(', ');
        const lines = [
          '---',
          `id: ${id}`,
          `title: ${JSON.stringify(issue.title)}`,
          `status: ${issue.state}`,
          `labels: [${labels}]`,
          ...(issue.priority === undefined ? [] : [`priority: ${issue.priority}`]),
          '---',
          '',
          issue.description ?? '',
        ];
        await mkdir(tracker.tasks.directory, { recursive: true });
        await writeFile(path.join(tracker.tasks.directory, `${id}.md`), `${lines.join('\n')}\n`);
        const [read] = await tracker.getIssues({ ids: [id] });
        return read!;
      },
      countReads: () => tracker.tasks.parsedFileCount,
      async readComments(issueId) {
        const text = await readFile(path.join(tracker.tasks.directory, `${issueId}.md`), 'utf8');
        return [...text.matchAll(/^- \S+ · [^·]+ · commented(?: \[[^\]]*\])?: (.*)$/gm)].map(
          (match) => match[1]!,
        );
      },
      cleanup: directory.cleanup,
    };
  },
});
