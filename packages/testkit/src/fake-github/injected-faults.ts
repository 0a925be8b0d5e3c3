/**
 * Failures a test asks for: the next matching requests get a 5xx, a reset connection, or a
 * primary or secondary rate-limit answer, exactly as GitHub sends them; or they take effect
 * and their answer is withheld (the connection stays open until the client goes away), so a
 * test can kill the client between GitHub doing something and the client learning of it.
 */

export type FakeGitHubFault =
  | { kind: 'status'; status: number }
  | { kind: 'connection-reset' }
  | { kind: 'answer-withheld' }
  | { kind: 'secondary-rate-limit'; status?: 403 | 429; retryAfterSeconds?: number }
  | { kind: 'primary-rate-limit' };

export interface FaultMatch {
  method?: string;
  /** Matched against the path without the query string. */
  path?: string | RegExp;
  operationId?: string;
}

export interface InjectedFault {
  fault: FakeGitHubFault;
  match: FaultMatch;
  remaining: number;
}

export interface FaultCandidate {
  method: string;
  path: string;
  operationId: string | null;
}

function matches(match: FaultMatch, candidate: FaultCandidate): boolean {
  if (match.method && match.method.toUpperCase() !== candidate.method) return false;
  if (match.operationId && match.operationId !== candidate.operationId) return false;
  if (typeof match.path === 'string' && match.path !== candidate.path) return false;
  if (match.path instanceof RegExp && !match.path.test(candidate.path)) return false;
  return true;
}

export class FaultQueue {
  private readonly faults: InjectedFault[] = [];

  add(fault: FakeGitHubFault, match: FaultMatch, times: number): void {
    this.faults.push({ fault, match, remaining: times });
  }

  /** The first fault matching the request, used up once. */
  take(candidate: FaultCandidate): FakeGitHubFault | null {
    const index = this.faults.findIndex((entry) => matches(entry.match, candidate));
    if (index === -1) return null;
    const entry = this.faults[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.faults.splice(index, 1);
    return entry.fault;
  }

  get pending(): number {
    return this.faults.reduce((sum, entry) => sum + entry.remaining, 0);
  }
}
