import type { ChangeRequest, ChangeRequestStatus, PushTarget, ScmProviderV1 } from '@loompa/core';
import { MockCallRecorder, type MockResponse } from './mock-method.js';

type Options<Method extends keyof ScmProviderV1> = Parameters<Extract<ScmProviderV1[Method], Function>>[0];

export interface MockScmProviderSettings {
  findChangeRequest?: MockResponse<Options<'findChangeRequest'>, ChangeRequest | null>;
  openChangeRequest?: MockResponse<Options<'openChangeRequest'>, ChangeRequest>;
  getStatus?: MockResponse<Options<'getStatus'>, ChangeRequestStatus>;
  getPushTarget?: MockResponse<Options<'getPushTarget'>, PushTarget | null>;
  listBabysitCandidates?: MockResponse<Options<'listBabysitCandidates'>, ChangeRequest[]>;
  updateChangeRequest?: MockResponse<Options<'updateChangeRequest'>, ChangeRequest>;
  getCheckLog?: MockResponse<Options<'getCheckLog'>, string>;
  upsertComment?: MockResponse<Options<'upsertComment'>, void>;
  replyToThread?: MockResponse<Options<'replyToThread'>, void>;
  resolveThread?: MockResponse<Options<'resolveThread'>, void>;
  updateBranch?: MockResponse<Options<'updateBranch'>, void>;
  merge?: MockResponse<Options<'merge'>, void>;
  closeChangeRequest?: MockResponse<Options<'closeChangeRequest'>, void>;
}

const optionalMethods = [
  'getPushTarget',
  'listBabysitCandidates',
  'updateChangeRequest',
  'getCheckLog',
  'upsertComment',
  'replyToThread',
  'resolveThread',
  'updateBranch',
  'merge',
  'closeChangeRequest',
] as const;

/** `ScmProviderV1` for tests; optional capabilities exist only when configured. */
export class MockScmProvider implements ScmProviderV1 {
  readonly specificationVersion = 'scm-provider-v1' as const;
  readonly name = 'mock';
  readonly recorder = new MockCallRecorder('MockScmProvider');

  getPushTarget?: ScmProviderV1['getPushTarget'];
  listBabysitCandidates?: ScmProviderV1['listBabysitCandidates'];
  updateChangeRequest?: ScmProviderV1['updateChangeRequest'];
  getCheckLog?: ScmProviderV1['getCheckLog'];
  upsertComment?: ScmProviderV1['upsertComment'];
  replyToThread?: ScmProviderV1['replyToThread'];
  resolveThread?: ScmProviderV1['resolveThread'];
  updateBranch?: ScmProviderV1['updateBranch'];
  merge?: ScmProviderV1['merge'];
  closeChangeRequest?: ScmProviderV1['closeChangeRequest'];

  constructor(private readonly settings: MockScmProviderSettings = {}) {
    for (const method of optionalMethods) {
      const response = settings[method];
      if (response !== undefined) {
        (this as Record<string, unknown>)[method] = (options: unknown) =>
          this.recorder.respond(method, options, response as MockResponse<unknown, unknown>);
      }
    }
  }

  findChangeRequest(options: Options<'findChangeRequest'>): Promise<ChangeRequest | null> {
    return this.recorder.respond('findChangeRequest', options, this.settings.findChangeRequest);
  }

  openChangeRequest(options: Options<'openChangeRequest'>): Promise<ChangeRequest> {
    return this.recorder.respond('openChangeRequest', options, this.settings.openChangeRequest);
  }

  getStatus(options: Options<'getStatus'>): Promise<ChangeRequestStatus> {
    return this.recorder.respond('getStatus', options, this.settings.getStatus);
  }
}
