import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when `file` exists and may be executed. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `node_modules/.bin` folders from `start` up to the file system root. */
function binFoldersAbove(start: string): string[] {
  const folders: string[] = [];
  let current = path.resolve(start);
  for (;;) {
    folders.push(path.join(current, 'node_modules', '.bin'));
    const parent = path.dirname(current);
    if (parent === current) return folders;
    current = parent;
  }
}

/**
 * Finds a command: first on the `PATH` the agent will run with, then in `node_modules/.bin`
 * above this package (where a package manager puts a dependency's binaries) and above the
 * current directory. Returns null when it is nowhere.
 */
export function findExecutable(name: string, searchPath: string | undefined): string | null {
  const pathFolders = (searchPath ?? '').split(path.delimiter).filter((folder) => folder !== '');
  const packageFolder = path.dirname(fileURLToPath(import.meta.url));
  const folders = [...pathFolders, ...binFoldersAbove(packageFolder), ...binFoldersAbove(process.cwd())];
  for (const folder of folders) {
    const candidate = path.join(folder, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}
