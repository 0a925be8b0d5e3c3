import { createScriptedOpenAIServer, testAgentBackend } from '@loompa/testkit';
import { createOpenCodeAgent } from '../src/index.js';

testAgentBackend({
  name: 'opencode (OpenCode CLI)',
  // OpenCode spends about four seconds starting each run, more on a busy machine.
  testTimeoutMs: 120_000,
  async setup() {
    const server = await createScriptedOpenAIServer({ turns: [] });
    const backend = createOpenCodeAgent({
      model: 'scripted/test-model',
      provider: {
        scripted: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Scripted',
          options: { baseURL: `${server.url}/v1`, apiKey: '{env:SCRIPTED_API_KEY}', timeout: 60_000 },
          models: {
            'test-model': {
              name: 'Test model',
              cost: { input: 3, output: 15 },
              limit: { context: 200_000, output: 32_000 },
              tool_call: true,
            },
          },
        },
      },
      secretEnvironmentVariables: ['SCRIPTED_API_KEY'],
    });
    return {
      backend,
      server,
      pricing: { inputPerMillion: 3, outputPerMillion: 15 },
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SCRIPTED_API_KEY: 'conformance-key' },
      cleanup: () => server.close(),
    };
  },
});
