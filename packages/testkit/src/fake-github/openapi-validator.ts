import addFormats from 'ajv-formats';
import { OpenAPIBackend, type Request as OpenApiRequest } from 'openapi-backend';
// Imported, not read from disk, so the built package carries the slice inside its bundle.
import githubOpenApiSlice from './__fixtures__/github-openapi-slice.json' with { type: 'json' };

/** A request as the validator needs it. */
export interface ValidatableRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
  body: unknown;
}

export interface MatchedOperation {
  operationId: string;
  /** Path parameters, decoded. */
  parameters: Record<string, string>;
}

let loaded: Promise<OpenAPIBackend> | null = null;

/**
 * GitHub's description, sliced to the operations the fake serves. Loaded once per process:
 * every fake in a test file shares the compiled validators.
 */
function loadBackend(): Promise<OpenAPIBackend> {
  loaded ??= (async () => {
    const backend = new OpenAPIBackend({
      // openapi-backend dereferences in place; each process loads the slice once, so sharing it is safe.
      definition: structuredClone(githubOpenApiSlice) as never,
      quick: true,
      validate: true,
      coerceTypes: true,
      customizeAjv: (ajv) => {
        addFormats.default(ajv);
        // GitHub's own format for "owner/name"; never used by the routes served yet.
        ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
        return ajv;
      },
    });
    await backend.init();
    return backend;
  })();
  return loaded;
}

function describeErrors(
  errors: ReadonlyArray<{ instancePath?: string; message?: string }> | null | undefined,
) {
  return (errors ?? [])
    .map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`)
    .join('; ');
}

/**
 * Holds requests and responses to GitHub's official OpenAPI description. Requests are checked
 * strictly; responses only against what the description declares for their status (304 is
 * allowed on any GET, as GitHub sends it where the description is silent).
 */
export class GitHubOpenApiValidator {
  private constructor(private readonly backend: OpenAPIBackend) {}

  static async load(): Promise<GitHubOpenApiValidator> {
    return new GitHubOpenApiValidator(await loadBackend());
  }

  match(request: ValidatableRequest): MatchedOperation | null {
    const openApiRequest = this.toOpenApiRequest(request);
    const operation = this.backend.matchOperation(openApiRequest);
    if (!operation?.operationId) return null;
    const parsed = this.backend.router.parseRequest(openApiRequest, operation);
    const parameters: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed.params as Record<string, string>)) {
      parameters[key] = decodeURIComponent(String(value));
    }
    return { operationId: operation.operationId, parameters };
  }

  /** Problems with a request, or null when it follows the description. */
  checkRequest(request: ValidatableRequest, operationId: string): string | null {
    const result = this.backend.validateRequest(this.toOpenApiRequest(request), operationId);
    return result.valid ? null : describeErrors(result.errors);
  }

  /** Problems with a response body, or null when it follows the description. */
  checkResponse(operationId: string, status: number, body: unknown): string | null {
    if (status === 304) return null;
    const operation = this.backend.getOperation(operationId);
    if (!operation?.responses?.[String(status)]) {
      return `status ${status} is not declared for ${operationId}`;
    }
    // A 204 has no body to hold to a schema.
    if (body === undefined) return null;
    const result = this.backend.validateResponse(body, operationId, status);
    return result.valid ? null : describeErrors(result.errors);
  }

  private toOpenApiRequest(request: ValidatableRequest): OpenApiRequest {
    return {
      method: request.method,
      path: request.path,
      query: request.query,
      headers: request.headers,
      body: request.body,
    };
  }
}
