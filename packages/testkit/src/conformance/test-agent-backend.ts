import type { AgentBackendV1, AgentEvent } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';

export interface AgentBackendConformanceFixture {
  backend: AgentBackendV1;
  /** A working directory for the run (a git worktree for real backends). */
  cwd: string;
  /** The complete environment to run the agent with. */
  env: Record<string, string>;
  /** A prompt the fixture's scripted model completes in one short run. */
  prompt: string;
  cleanup?(): Promise<void>;
}

export interface AgentBackendConformanceOptions {
  name: string;
  setup(): Promise<AgentBackendConformanceFixture>;
}

/** The behaviour every `AgentBackendV1` must show. Call it inside a vitest file. */
export function testAgentBackend(options: AgentBackendConformanceOptions): void {
  describe(`AgentBackendV1 conformance: ${options.name}`, () => {
    let fixture: AgentBackendConformanceFixture | null = null;
    afterEach(async () => {
      await fixture?.cleanup?.();
      fixture = null;
    });

    it('completes a run with a session, non-negative usage and typed events', async () => {
      fixture = await options.setup();
      expect(fixture.backend.specificationVersion).toBe('agent-backend-v1');
      const events: AgentEvent[] = [];
      const result = await fixture.backend.run({
        prompt: fixture.prompt,
        cwd: fixture.cwd,
        env: fixture.env,
        onEvent: (event) => events.push(event),
      });
      expect(result.status).toBe('completed');
      expect(result.error).toBeUndefined();
      expect(result.turns).toBeGreaterThanOrEqual(1);
      for (const value of Object.values(result.usage)) expect(value).toBeGreaterThanOrEqual(0);
      if (result.costUsd !== null) expect(result.costUsd).toBeGreaterThanOrEqual(0);
      const knownTypes = ['session-start', 'text', 'tool-call', 'tool-result', 'usage', 'error', 'raw'];
      for (const event of events) expect(knownTypes).toContain(event.type);
    });

    it('stops promptly with status cancelled when aborted', async () => {
      fixture = await options.setup();
      const controller = new AbortController();
      controller.abort();
      const result = await fixture.backend.run({
        prompt: fixture.prompt,
        cwd: fixture.cwd,
        env: fixture.env,
        abortSignal: controller.signal,
      });
      expect(result.status).toBe('cancelled');
      expect(result.error?.kind).toBe('cancelled');
    });
  });
}
