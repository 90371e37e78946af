// What keeps a slow or failing provider from taking the gateway with it: one deadline per
// operation (carried through async calls, so nested reads share it), retries only where they
// are safe, and a circuit breaker per provider (cockatiel).
import { AsyncLocalStorage } from 'node:async_hooks';
import { ProviderUnavailableError } from '../runs/errors.js';
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhenResult, type CircuitBreakerPolicy } from 'cockatiel';

const deadlines = new AsyncLocalStorage<number>();

/** Runs `fn` with a deadline `ms` from now, or the enclosing one if that comes sooner. */
export function withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const outer = deadlines.getStore();
  const deadline = Math.min(Date.now() + ms, outer ?? Infinity);
  return deadlines.run(deadline, fn);
}

/** Milliseconds left before the current operation's deadline; Infinity outside any operation. */
export function remainingMs(): number {
  const deadline = deadlines.getStore();
  return deadline === undefined ? Infinity : deadline - Date.now();
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; doubles each attempt, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A retry is only worth sending with at least this much time left for its answer. */
  minAttemptMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000, minAttemptMs: 250 };

/** Exponential backoff with full jitter: a random wait in [0, base * 2^(attempt-1)], capped. */
export function backoffMs(attempt: number, options: RetryOptions, random = Math.random): number {
  return Math.round(random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1)));
}

/**
 * How long to wait before retrying, or undefined when the answer must stand. Retried: a
 * connection that failed before any response, 502/503/504 (a gateway or the provider saying
 * "not now"), and 429 when the wait it asks for fits the time left. Never another 4xx or a 500:
 * those would answer the same again, or may have done something already.
 */
export function retryDelay(
  outcome: { kind: 'connection-failed' } | { kind: 'response'; status: number; retryAfterSeconds: number | undefined },
  attempt: number,
  options: RetryOptions,
  remaining: number,
): number | undefined {
  if (attempt >= options.maxAttempts) return undefined;
  let wait: number;
  if (outcome.kind === 'connection-failed') wait = backoffMs(attempt, options);
  else if (outcome.status === 502 || outcome.status === 503 || outcome.status === 504) {
    wait = outcome.retryAfterSeconds !== undefined ? outcome.retryAfterSeconds * 1000 : backoffMs(attempt, options);
  } else if (outcome.status === 429) {
    wait = outcome.retryAfterSeconds !== undefined ? outcome.retryAfterSeconds * 1000 : backoffMs(attempt, options);
    // Holding a person's request for longer than a backoff would be is worse than telling them
    // when to retry: ProviderRateLimitedError carries retryAfterSeconds.
    if (wait > options.maxDelayMs) return undefined;
  } else return undefined;
  return wait + options.minAttemptMs <= remaining ? wait : undefined;
}

export interface BreakerOptions {
  /** Consecutive failed requests (5xx after retries, timeouts, connection failures) that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one probe request is let through. */
  halfOpenAfterMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 10, halfOpenAfterMs: 10_000 };

/** Marks an attempt that failed without an HTTP answer. */
export class ConnectionFailure extends Error {
  constructor(
    readonly reason: string,
    /** True when the failure came before any response (safe to retry). */
    readonly beforeResponse: boolean,
  ) {
    super(reason);
  }
}

export function createBreaker(options: BreakerOptions): CircuitBreakerPolicy {
  // A provider's 5xx counts as a failure like a dead connection; its 4xx answers do not.
  const policy = handleWhenResult((r) => typeof r === 'object' && r !== null && 'status' in r && (r as { status: number }).status >= 500).orType(
    ProviderUnavailableError,
  );
  return circuitBreaker(policy, { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.threshold) });
}

export type CircuitStateName = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export function circuitStateName(policy: CircuitBreakerPolicy): CircuitStateName {
  switch (policy.state) {
    case CircuitState.Open:
    case CircuitState.Isolated:
      return 'OPEN';
    case CircuitState.HalfOpen:
      return 'HALF_OPEN';
    default:
      return 'CLOSED';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
