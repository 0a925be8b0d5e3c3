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

export interface FindExecutableOptions {
  /** The `PATH` the command will run with. */
  searchPath?: string;
  /**
   * A module (`import.meta.url`) or folder of the package that depends on the command: a
   * package manager puts a dependency's binaries in `node_modules/.bin` above it.
   */
  nearModule?: string;
}

/**
 * Finds a command: first on `searchPath`, then in `node_modules/.bin` above `nearModule` and
 * above the current directory. Returns null when it is nowhere.
 */
export function findExecutable(name: string, options: FindExecutableOptions = {}): string | null {
  const pathFolders = (options.searchPath ?? '').split(path.delimiter).filter((folder) => folder !== '');
  const packageFolders =
    options.nearModule === undefined
      ? []
      : binFoldersAbove(
          options.nearModule.startsWith('file:')
            ? path.dirname(fileURLToPath(options.nearModule))
            : options.nearModule,
        );
  const folders = [...pathFolders, ...packageFolders, ...binFoldersAbove(process.cwd())];
  for (const folder of folders) {
    const candidate = path.join(folder, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}
