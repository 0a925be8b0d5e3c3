import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The package's shape as rules a change cannot break unnoticed: imports form no circle
 * (a phase that imports its caller is the start of a tangle), core imports no plugin, and
 * the orchestrator's files stay small enough to read in one sitting.
 */
const sourceRoot = path.resolve(import.meta.dirname, '../src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const entryPath = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(entryPath);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [entryPath] : [];
  });
}

/** Lines as an editor numbers them: a final newline starts no line of its own. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Every module specifier a file imports or re-exports, type-only imports included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/g)) {
    specifiers.push(match[1]!);
  }
  return specifiers;
}

function localImportsOf(file: string): string[] {
  return importsOf(file)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
}

/** The import circles among `files`, each as the list of files around it (Tarjan's algorithm). */
function importCircles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((file) => [file, localImportsOf(file)]));
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let counter = 0;
  const visit = (file: string) => {
    index.set(file, counter);
    lowLink.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(target)!));
      } else if (onStack.has(target)) {
        lowLink.set(file, Math.min(lowLink.get(file)!, index.get(target)!));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(path.relative(sourceRoot, member));
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return circles;
}

describe('architecture of @loompa/core', () => {
  const files = sourceFiles(sourceRoot);

  it('has no import circle', () => {
    expect(importCircles(files)).toEqual([]);
  });

  it('imports no plugin package', () => {
    const pluginImports = files.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith('@loompa/'))
        .map((specifier) => `${path.relative(sourceRoot, file)} imports ${specifier}`),
    );
    expect(pluginImports).toEqual([]);
  });

  it('keeps every orchestrator file under 400 lines', () => {
    const tooLong = files
      .filter((file) => file.startsWith(path.join(sourceRoot, 'orchestrator') + path.sep))
      .map((file) => ({
        file: path.relative(sourceRoot, file),
        lines: lineCount(readFileSync(file, 'utf8')),
      }))
      .filter(({ lines }) => lines > 400);
    expect(tooLong).toEqual([]);
  });

  it('finds the circle it is meant to catch', () => {
    // The checker itself, on three files where the last imports the first back.
    const directory = mkdtempSync(path.join(os.tmpdir(), 'loompa-architecture-'));
    try {
      writeFileSync(path.join(directory, 'facade.ts'), "import { drive } from './driver.js';\n");
      writeFileSync(path.join(directory, 'driver.ts'), "import type { Phase } from './phase.js';\n");
      writeFileSync(path.join(directory, 'phase.ts'), "export { facade } from './facade.js';\n");
      const files = ['facade.ts', 'driver.ts', 'phase.ts'].map((name) => path.join(directory, name));
      expect(importCircles(files).map((circle) => circle.map((file) => path.basename(file)))).toEqual([
        ['driver.ts', 'facade.ts', 'phase.ts'],
      ]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
