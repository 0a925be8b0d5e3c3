import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The agent sessions this worker's folder still holds (their files live in the agents' state
 * directories here), so a reaction resumes a session only on a worker that has it; any other
 * worker starts a fresh one. One empty marker file per session, named by its hash.
 */
export class WorkerSessions {
  constructor(private readonly directory: string) {}

  private markerFor(sessionId: string): string {
    return path.join(this.directory, createHash('sha256').update(sessionId).digest('hex').slice(0, 32));
  }

  async remember(sessionId: string): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    await writeFile(this.markerFor(sessionId), '');
  }

  async has(sessionId: string): Promise<boolean> {
    return stat(this.markerFor(sessionId)).then(
      () => true,
      () => false,
    );
  }
}
