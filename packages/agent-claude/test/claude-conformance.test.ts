import { createScriptedAnthropicServer, testAgentBackend } from '@loompa/testkit';
import { createClaudeAgent } from '../src/index.js';

testAgentBackend({
  name: 'claude (Claude Code CLI)',
  async setup() {
    const server = await createScriptedAnthropicServer({ turns: [] });
    return {
      backend: createClaudeAgent({ maxRetries: 1 }),
      server,
      model: 'claude-sonnet-4-5',
      // Claude Code's list prices for claude-sonnet-4-5.
      pricing: { inputPerMillion: 3, outputPerMillion: 15 },
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ANTHROPIC_BASE_URL: server.url,
        ANTHROPIC_API_KEY: 'conformance-key',
      },
      cleanup: () => server.close(),
    };
  },
});
