import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a running `loompa run --port` leaves in its state directory so `loompa status` can find it. */
export interface InstanceRecord {
  pid: number;
  url: string;
  workflowPath: string;
  startedAt: string;
}

const fileName = 'loompa-cli-instance.json';

export function instanceRecordPath(stateDirectory: string): string {
  return path.join(stateDirectory, fileName);
}

export async function writeInstanceRecord(stateDirectory: string, record: InstanceRecord): Promise<void> {
  const target = instanceRecordPath(stateDirectory);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(record, null, 2));
  await rename(temporary, target);
}

export async function removeInstanceRecord(stateDirectory: string): Promise<void> {
  await rm(instanceRecordPath(stateDirectory), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The record of an instance that is still running, or null (none, or its process is gone). */
export async function readLiveInstanceRecord(stateDirectory: string): Promise<InstanceRecord | null> {
  let record: InstanceRecord;
  try {
    record = JSON.parse(await readFile(instanceRecordPath(stateDirectory), 'utf8')) as InstanceRecord;
  } catch {
    return null;
  }
  return typeof record.pid === 'number' && isAlive(record.pid) ? record : null;
}
