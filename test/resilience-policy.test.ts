// The retry and deadline rules, as pure decisions (the fault-injection suite proves them over HTTP).
import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from '../src/providers/http.js';
import { DEFAULT_RETRY, backoffMs, remainingMs, retryDelay, withDeadline } from '../src/providers/resilience.js';

const opts = { ...DEFAULT_RETRY, maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000, minAttemptMs: 250 };
const response = (status: number, retryAfterSeconds?: number) => ({ kind: 'response' as const, status, retryAfterSeconds });

describe('retryDelay', () => {
  it.each([502, 503, 504])('retries %i', (status) => {
    expect(retryDelay(response(status), 1, opts, 5_000)).toBeGreaterThanOrEqual(0);
  });

  it.each([400, 401, 402, 403, 404, 409, 413, 422, 500, 501])('never retries %i', (status) => {
    expect(retryDelay(response(status), 1, opts, 5_000)).toBeUndefined();
  });

  it('retries a connection that failed before any response', () => {
    expect(retryDelay({ kind: 'connection-failed' }, 1, opts, 5_000)).toBeGreaterThanOrEqual(0);
  });

  it('waits what a 429 asks when it fits the time left, and not otherwise', () => {
    expect(retryDelay(response(429, 2), 1, opts, 5_000)).toBe(2_000);
    expect(retryDelay(response(429, 30), 1, opts, 5_000)).toBeUndefined();
    expect(retryDelay(response(429, 1.9), 1, opts, 2_000)).toBeUndefined(); // no time left for the answer
  });

  it('never holds a request longer than a backoff for a 429: longer waits go back to the caller as retryAfterSeconds', () => {
    expect(retryDelay(response(429, 2.1), 1, opts, 60_000)).toBeUndefined();
    expect(retryDelay(response(429, 8), 1, opts, 60_000)).toBeUndefined();
  });

  it('backs off when a 429 or 503 names no wait', () => {
    const d = retryDelay(response(429), 2, opts, 5_000);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(200);
  });

  it('stops at the attempt cap', () => {
    expect(retryDelay(response(503), 3, opts, 60_000)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('doubles its ceiling each attempt, with full jitter, up to the cap', () => {
    expect(backoffMs(1, opts, () => 1)).toBe(100);
    expect(backoffMs(3, opts, () => 1)).toBe(400);
    expect(backoffMs(10, opts, () => 1)).toBe(2000);
    expect(backoffMs(3, opts, () => 0)).toBe(0);
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');
  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(retryAfterSeconds({ 'retry-after': '7' }, now)).toBe(7);
    expect(retryAfterSeconds({ 'retry-after': 'Sat, 21 Nov 2026 12:00:30 GMT' }, now)).toBe(30);
  });
  it("reads Trigger.dev's x-ratelimit-reset in epoch milliseconds, and epoch seconds", () => {
    expect(retryAfterSeconds({ 'x-ratelimit-reset': String(now + 12_500) }, now)).toBe(12.5);
    expect(retryAfterSeconds({ 'x-ratelimit-reset': String(now / 1000 + 20) }, now)).toBe(20);
  });
  it('reads x-ratelimit-reset only as a rate-limit window: a 5xx is timed by Retry-After alone', () => {
    expect(retryAfterSeconds({ 'x-ratelimit-reset': String(now + 60_000) }, now, false)).toBeUndefined();
    expect(retryAfterSeconds({ 'x-ratelimit-reset': String(now + 60_000), 'retry-after': '1' }, now, false)).toBe(1);
  });
  it('reads retry-after-ms, and nothing when no header is sent', () => {
    expect(retryAfterSeconds({ 'retry-after-ms': '1500' }, now)).toBe(1.5);
    expect(retryAfterSeconds({}, now)).toBeUndefined();
  });
});

describe('withDeadline', () => {
  it('gives async work a shared deadline, and an inner one never extends it', async () => {
    expect(remainingMs()).toBe(Infinity);
    await withDeadline(1_000, async () => {
      await new Promise((r) => setTimeout(r, 20));
      const outer = remainingMs();
      expect(outer).toBeLessThanOrEqual(985);
      await withDeadline(60_000, async () => expect(remainingMs()).toBeLessThanOrEqual(outer));
      await withDeadline(100, async () => expect(remainingMs()).toBeLessThanOrEqual(100));
    });
  });
});
