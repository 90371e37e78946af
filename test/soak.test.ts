// A bounded soak over loopback: 2,000 GraphQL requests at concurrency 20 through one in-process
// gateway in front of the five simulators, with 15% of upstream requests answered by a random
// fault (5xx, 429s, resets, broken and oversized bodies, delays, a few timeouts). Seeded, so a
// failure repeats. It stops by itself: at 2,000 requests or 55 s, whichever comes first.
//
// Bounds, and how they are measured:
// - every answer is HTTP 200 with a typed payload (a member of the operation's union), never a
//   top-level error, never a 5xx from the gateway;
// - file descriptors: entries of /proc/self/fd. Everything runs in this process, so a loopback
//   connection costs two. While running, the soak may hold at most fdGrowthBound() more than before
//   it started (client and upstream pools, both ends); once the gateway, fault servers and
//   simulators are closed, the count is back to its baseline (+8 for unrelated runtime handles);
// - heap: process.memoryUsage().heapUsed after a forced full GC (v8 --expose-gc set at runtime),
//   before and after the soak, with the rig still running: less than 50 MB growth;
// - the gateway's keep-alive pool: each fault server saw at most RUNGATE_UPSTREAM_CONCURRENCY (8)
//   live sockets at once, +1: a socket the gateway already dropped (a timeout) counts until the
//   fault server processes its FIN, which can come just after the gateway's replacement connects.
//   (Sampling the gateway's own undici pool stats every 1 ms during diagnostic runs showed at most 8.)
import { describe, expect, it } from 'vitest';
import { DEFAULT_SOAK, fdGrowthBound, runSoak } from './support/soak.js';

const HEAP_GROWTH_BOUND_MB = 50;
const FD_CLOSE_SLACK = 8;

describe('soak', () => {
  it(`${DEFAULT_SOAK.requests} requests at concurrency ${DEFAULT_SOAK.concurrency}, ${DEFAULT_SOAK.faultRate * 100}% upstream faults: all typed, fds and heap bounded`, async () => {
    const r = await runSoak(DEFAULT_SOAK);
    // One line for the log: the figures RELIABILITY.md reports.
    console.log(
      `soak: ${r.completed} requests in ${r.durationMs} ms; http ${JSON.stringify(r.httpStatus)}; latency ${JSON.stringify(r.latencyMs)}; ` +
        `fd ${JSON.stringify(r.fd)}; heap MB ${JSON.stringify(r.heapMB)}; upstream sockets ${JSON.stringify(r.maxUpstreamSockets)}`,
    );

    expect(r.completed).toBe(DEFAULT_SOAK.requests);
    expect(r.durationMs).toBeLessThan(60_000);
    expect(r.untyped).toEqual([]);
    expect(r.httpStatus).toEqual({ 200: DEFAULT_SOAK.requests });
    expect(r.typenames.UNTYPED).toBeUndefined();
    // The mix reached every kind of answer it is built for, faults included.
    for (const t of ['CancelRunSuccess', 'Run', 'InvalidRunInputError', 'RunNotFoundError', 'OperationNotSupportedError', 'ProviderUnavailableError', 'ProviderRateLimitedError']) {
      expect(r.typenames[t], t).toBeGreaterThan(0);
    }
    expect(Object.values(r.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(100);

    expect(r.fd.baseline).toBeGreaterThan(0); // /proc is there
    expect(r.fd.after - r.fd.before).toBeLessThanOrEqual(fdGrowthBound(DEFAULT_SOAK.concurrency, r.gatewayPool));
    expect(r.fd.afterClose - r.fd.baseline).toBeLessThanOrEqual(FD_CLOSE_SLACK);
    expect(r.heapMB.growth).toBeLessThan(HEAP_GROWTH_BOUND_MB);
    for (const [provider, n] of Object.entries(r.maxUpstreamSockets)) expect(n, provider).toBeLessThanOrEqual(r.gatewayPool + 1);
  }, 90_000);
});
