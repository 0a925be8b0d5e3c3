import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkGitHubCredentials,
  gitHubClientOptionsFromSettings,
  gitHubConnectionSettingsShape,
  gitHubSecretVariables,
} from '../src/index.js';

function schemaWith(environment: NodeJS.ProcessEnv, workflowDirectory?: string) {
  return z.looseObject(gitHubConnectionSettingsShape).superRefine((section, context) =>
    checkGitHubCredentials(section, context, {
      environment,
      ...(workflowDirectory ? { workflowDirectory } : {}),
    }),
  );
}

function problems(result: z.ZodSafeParseResult<unknown>) {
  return result.success
    ? []
    : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

let temporary: string | null = null;
afterEach(async () => {
  if (temporary) await rm(temporary, { recursive: true, force: true });
  temporary = null;
});

describe('GitHub connection settings', () => {
  it('says where a repository is not owner/name and which token variable is missing, never its value', () => {
    const result = schemaWith({}).safeParse({
      repository: 'just-a-name',
      token_variable: 'LOOMPA_GITHUB_TOKEN',
    });
    // Every problem at once: the repository and the token variable.
    expect(problems(result)).toEqual([
      { path: 'repository', message: 'a repository written owner/name, e.g. octo/widgets' },
      {
        path: 'token_variable',
        message: 'environment variable LOOMPA_GITHUB_TOKEN (the GitHub token) is empty or not set',
      },
    ]);
    const missingToken = schemaWith({}).safeParse({
      repository: 'octo/widgets',
      token_variable: 'LOOMPA_GITHUB_TOKEN',
    });
    expect(problems(missingToken)).toEqual([
      {
        path: 'token_variable',
        message: 'environment variable LOOMPA_GITHUB_TOKEN (the GitHub token) is empty or not set',
      },
    ]);
    const fine = schemaWith({ GITHUB_TOKEN: 'ghp_secretvalue1234567890' }).safeParse({
      repository: 'octo/widgets',
    });
    expect(fine.success).toBe(true);
    expect(JSON.stringify(problems(missingToken))).not.toContain('ghp_');
  });

  it('names an unreadable App key file and a key variable that is not set', async () => {
    temporary = await mkdtemp(path.join(os.tmpdir(), 'loompa-github-settings-'));
    const missingFile = schemaWith({}, temporary).safeParse({
      repository: 'octo/widgets',
      app_id: 12,
      app_private_key_path: 'keys/app.pem',
    });
    expect(problems(missingFile)).toEqual([
      {
        path: 'app_private_key_path',
        message: `cannot read the App private key file ${path.join(temporary, 'keys/app.pem')} (ENOENT)`,
      },
    ]);
    await writeFile(path.join(temporary, 'not-a-key.pem'), 'hello');
    const notPem = schemaWith({}, temporary).safeParse({
      repository: 'octo/widgets',
      app_id: 12,
      app_private_key_path: 'not-a-key.pem',
    });
    expect(problems(notPem)[0]!.message).toMatch(/does not hold a PEM private key/);
    const noVariable = schemaWith({}).safeParse({
      repository: 'octo/widgets',
      app_id: 12,
      app_private_key_variable: 'APP_KEY',
    });
    expect(problems(noVariable)).toEqual([
      {
        path: 'app_private_key_variable',
        message: 'environment variable APP_KEY (the App private key) is empty or not set',
      },
    ]);
    const both = schemaWith({ APP_KEY: 'x' }).safeParse({
      repository: 'octo/widgets',
      app_id: 12,
      app_private_key_variable: 'APP_KEY',
      app_private_key_path: 'key.pem',
    });
    expect(problems(both)[0]!.message).toBe(
      'app_id needs exactly one of app_private_key_path and app_private_key_variable',
    );
  });

  it('declares the credential variables and reads the token at request time', async () => {
    const environment: NodeJS.ProcessEnv = { MY_TOKEN: 'first-token-value', HOOK_SECRET: 'hook' };
    const section = schemaWith(environment).parse({
      repository: 'octo/widgets',
      token_variable: 'MY_TOKEN',
      api_url: 'https://github.example.com/api/v3',
      webhook: { secret_variable: 'HOOK_SECRET', port: 0 },
    });
    expect(gitHubSecretVariables(section)).toEqual(['MY_TOKEN', 'HOOK_SECRET']);
    const options = gitHubClientOptionsFromSettings(section, { workflowDirectory: '/', environment });
    expect(options.baseUrl).toBe('https://github.example.com/api/v3');
    const credentials = options.credentials as { kind: 'token'; token: () => string };
    expect(credentials.token()).toBe('first-token-value');
    environment.MY_TOKEN = 'rotated-token-value';
    expect(credentials.token()).toBe('rotated-token-value');
  });
});
