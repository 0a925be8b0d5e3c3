import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';

/** A YAML document that can say where any path is written. */
export interface LocatedYaml {
  document: Document;
  lineCounter: LineCounter;
}

export function parseLocatedYaml(source: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  return { document, lineCounter };
}

/**
 * Line and column (1-based) of the value at `yamlPath`, or of its nearest written ancestor
 * when the key itself is absent (a missing required key points at its section).
 */
export function locateYamlPath(
  located: LocatedYaml,
  yamlPath: ReadonlyArray<PropertyKey>,
): { line: number; column: number } | null {
  let node: unknown = located.document.contents;
  let best: unknown = node;
  for (const segment of yamlPath) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      best = pair.value ?? pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      best = item;
      node = item;
    } else {
      break;
    }
  }
  const range = (best as { range?: [number, number, number] } | null)?.range;
  if (!range) return null;
  const position = located.lineCounter.linePos(range[0]);
  return { line: position.line, column: position.col };
}

/**
 * Where a YAML syntax error is and what the parser met there. `linePos` is only filled
 * with pretty errors (which also rewrite the message), so the position is computed from the
 * error's offset; the line's own text is the "found" a user recognises.
 */
export function describeYamlSyntaxError(
  located: LocatedYaml,
  source: string,
  error: YAMLError,
): { line: number | null; column: number | null; found: string } {
  const offset = error.pos?.[0];
  if (offset === undefined) return { line: null, column: null, found: error.code };
  const position = located.lineCounter.linePos(offset);
  const lineText = source.split('\n')[position.line - 1]?.trim() ?? '';
  return {
    line: position.line,
    column: position.col,
    found: lineText === '' ? 'the end of the front matter' : JSON.stringify(lineText),
  };
}

/** `agent.profiles[0].name` from `['agent', 'profiles', 0, 'name']`. */
export function formatYamlPath(yamlPath: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const segment of yamlPath) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
