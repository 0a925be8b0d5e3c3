import { NotImplementedError } from '@loompa/core';

/**
 * How a mock method answers: one value for every call, a function of the call's options,
 * or a list served call by call (each item a value or a function). Because a list is served
 * call by call, a method whose result is itself a list takes a function (`() => issues`) to
 * answer the same list every time.
 */
export type MockResponse<Options, Result> =
  | Result
  | ((options: Options) => Result | Promise<Result>)
  | ReadonlyArray<Result | ((options: Options) => Result | Promise<Result>)>;

/** One recorded call. */
export interface MockCall {
  method: string;
  options: unknown;
}

/** Records calls and serves configured responses for one mock object. */
export class MockCallRecorder {
  readonly calls: MockCall[] = [];
  private readonly served = new Map<string, number>();

  constructor(private readonly mockName: string) {}

  /** The options of every call to `method`, in order. */
  callsOf<Options = unknown>(method: string): Options[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.options as Options);
  }

  /** Serves the next response for `method`, or throws when none is configured. */
  async respond<Options, Result>(
    method: string,
    options: Options,
    response: MockResponse<Options, Result> | undefined,
  ): Promise<Result> {
    this.calls.push({ method, options });
    if (response === undefined) {
      throw new NotImplementedError(
        `${this.mockName}.${method} is not implemented: pass "${method}" to the ${this.mockName} constructor`,
      );
    }
    let answer: Result | ((options: Options) => Result | Promise<Result>);
    if (Array.isArray(response)) {
      const index = this.served.get(method) ?? 0;
      if (index >= response.length) {
        throw new NotImplementedError(
          `${this.mockName}.${method} was called ${index + 1} times but only ${response.length} responses were configured`,
        );
      }
      this.served.set(method, index + 1);
      answer = response[index];
    } else {
      answer = response as Result | ((options: Options) => Result | Promise<Result>);
    }
    return typeof answer === 'function'
      ? await (answer as (options: Options) => Result | Promise<Result>)(options)
      : answer;
  }
}
