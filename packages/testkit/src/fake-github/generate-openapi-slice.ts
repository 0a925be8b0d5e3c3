/**
 * Writes the slice of GitHub's official OpenAPI description that the fake GitHub validates
 * against: only the operations the fake serves, plus every component they reach through
 * `$ref`. The full description (@octokit/openapi, about 385 MB unpacked) stays out of the
 * dependencies; whoever adds a route fetches it once and reruns this script:
 *
 *   npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz package/generated/api.github.com.json
 *   pnpm exec node --import tsx packages/testkit/src/fake-github/generate-openapi-slice.ts package/generated/api.github.com.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { servedOperationIds } from './served-operations.js';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** Examples make up most of the description and validate nothing, so they are left out. */
function withoutExamples(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutExamples);
  if (value === null || typeof value !== 'object') return value;
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'examples' || key === 'example') continue;
    copy[key] = withoutExamples(item);
  }
  return copy;
}

/**
 * GitHub writes `nullable: true` beside `$ref`, `allOf` or `anyOf` with no `type`, which OpenAPI
 * 3.0 tolerates and Ajv refuses; such a schema becomes "the same, or null".
 */
function withExplicitNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withExplicitNulls);
  if (value === null || typeof value !== 'object') return value;
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) copy[key] = withExplicitNulls(item);
  // Ajv checks `enum` before `nullable`, so a nullable enum must list null itself.
  if (copy.nullable === true && Array.isArray(copy.enum) && !copy.enum.includes(null)) {
    copy.enum = [...copy.enum, null];
  }
  if (copy.nullable === true && copy.type === undefined) {
    const { nullable: _nullable, description, ...rest } = copy;
    return {
      ...(description === undefined ? {} : { description }),
      anyOf: [rest, { type: 'string', nullable: true, enum: [null] }],
    };
  }
  return copy;
}

function collectReferences(value: JsonValue, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string') found.add(item);
    else collectReferences(item, found);
  }
}

function resolvePointer(document: JsonObject, pointer: string): JsonValue {
  const parts = pointer.replace(/^#\//, '').split('/');
  let current: JsonValue = document;
  for (const part of parts) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !(key in current)) {
      throw new Error(`the description has no ${pointer}`);
    }
    current = current[key]!;
  }
  return current;
}

const sourcePath = process.argv[2];
if (!sourcePath) {
  process.stderr.write('usage: generate-openapi-slice.ts <path to api.github.com.json>\n');
  process.exit(2);
}
const description = JSON.parse(await readFile(sourcePath, 'utf8')) as JsonObject;
const sourcePaths = description.paths as Record<string, JsonObject>;

const wanted = new Set<string>(servedOperationIds);
const slicedPaths: Record<string, JsonObject> = {};
for (const [routePath, pathItem] of Object.entries(sourcePaths)) {
  for (const [method, operation] of Object.entries(pathItem)) {
    if (!httpMethods.has(method)) continue;
    const operationId = (operation as JsonObject).operationId as string;
    if (!wanted.has(operationId)) continue;
    wanted.delete(operationId);
    slicedPaths[routePath] ??= {};
    slicedPaths[routePath][method] = withExplicitNulls(withoutExamples(operation));
  }
}
if (wanted.size > 0) throw new Error(`operations missing from the description: ${[...wanted].join(', ')}`);

// Follow `$ref`s until no new component is reached.
const components: Record<string, JsonObject> = {};
const pending = new Set<string>();
collectReferences(slicedPaths as JsonValue, pending);
const done = new Set<string>();
while (pending.size > 0) {
  const [reference] = pending;
  pending.delete(reference!);
  if (done.has(reference!)) continue;
  done.add(reference!);
  const [, , section, name] = reference!.split('/');
  const component = withExplicitNulls(withoutExamples(resolvePointer(description, reference!)));
  components[section!] ??= {};
  components[section!]![name!] = component;
  const nested = new Set<string>();
  collectReferences(component, nested);
  for (const item of nested) if (!done.has(item)) pending.add(item);
}

const slice = {
  openapi: description.openapi,
  info: {
    ...(description.info as JsonObject),
    description: `Slice of GitHub's official REST description (@octokit/openapi) for the fake GitHub in @loompa/testkit; generated by generate-openapi-slice.ts, do not edit by hand.`,
  },
  servers: description.servers,
  paths: slicedPaths,
  components,
};
const outputPath = fileURLToPath(new URL('./__fixtures__/github-openapi-slice.json', import.meta.url));
await writeFile(outputPath, `${JSON.stringify(slice, null, 1)}\n`);
process.stdout.write(
  `wrote ${Object.keys(slicedPaths).length} paths and ${done.size} components to ${outputPath}\n`,
);
