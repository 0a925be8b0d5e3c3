import {
  type AgentBackendV1,
  type AgentRunOptions,
  type AgentRunResult,
  emptyTokenUsage,
} from '@loompa/core';
import { MockCallRecorder, type MockResponse } from './mock-method.js';

export interface MockAgentBackendSettings {
  run?: MockResponse<AgentRunOptions, AgentRunResult>;
  /** Giving `resume` gives the mock the resume capability. */
  resume?: MockResponse<AgentRunOptions & { sessionId: string }, AgentRunResult>;
  secretEnvironmentVariables?: string[];
}

/** A completed run result with zero usage; override any field. */
export function createTestRunResult(overrides: Partial<AgentRunResult> = {}): AgentRunResult {
  return {
    status: 'completed',
    sessionId: 'mock-session',
    usage: emptyTokenUsage(),
    costUsd: 0,
    turns: 1,
    finalText: 'done',
    ...overrides,
  };
}

/** `AgentBackendV1` for tests. */
export class MockAgentBackend implements AgentBackendV1 {
  readonly specificationVersion = 'agent-backend-v1' as const;
  readonly name = 'mock';
  readonly recorder = new MockCallRecorder('MockAgentBackend');
  readonly secretEnvironmentVariables: readonly string[];
  resume?: AgentBackendV1['resume'];

  constructor(private readonly settings: MockAgentBackendSettings = {}) {
    this.secretEnvironmentVariables = settings.secretEnvironmentVariables ?? [];
    if (settings.resume !== undefined) {
      const response = settings.resume;
      this.resume = (options) => this.recorder.respond('resume', options, response);
    }
  }

  run(options: AgentRunOptions): Promise<AgentRunResult> {
    return this.recorder.respond('run', options, this.settings.run);
  }
}
