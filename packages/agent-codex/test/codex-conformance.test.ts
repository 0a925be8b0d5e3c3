import { createScriptedResponsesServer, testAgentBackend } from '@loompa/testkit';
import { createCodexAgent } from '../src/index.js';

testAgentBackend({
  name: 'codex (Codex CLI)',
  // Generous for a busy machine; a two-request Codex run takes well under a second when idle.
  testTimeoutMs: 120_000,
  async setup() {
    const server = await createScriptedResponsesServer({ turns: [] });
    const backend = createCodexAgent({
      provider: { id: 'scripted', baseUrl: `${server.url}/v1`, envKey: 'SCRIPTED_API_KEY' },
      // Retries would only repeat the scripted errors.
      maxRetries: 0,
      // A model from Codex's bundled list, so it offers apply_patch (file changes) besides exec_command.
      prices: { 'gpt-5.5': { input: 3, output: 15 } },
    });
    return {
      backend,
      server,
      model: 'gpt-5.5',
      pricing: { inputPerMillion: 3, outputPerMillion: 15 },
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SCRIPTED_API_KEY: 'conformance-key' },
      cleanup: () => server.close(),
    };
  },
});
