// A bounded soak: N GraphQL requests at concurrency C through the fault rig, a seeded mix of
// cancels, reads, batch reads, invalid input and provider listings, with a share of the upstream
// requests answered by a random fault. Measures what the suite and RELIABILITY.md report: HTTP
// statuses, answer types, latency, file descriptors (/proc/self/fd; the gateway, the fault servers
// and the simulators all run in this process) and heap after a forced GC.
// Shared by test/soak.test.ts and scripts/reliability.ts (no vitest here).
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { RunProvider } from '../../src/runs/domain.js';
import { HTML_PAGE, MALFORMED_JSON, oversizedJson, openFdCount, type Fault } from './fault-server.js';
import { PROVIDERS, post, startRig, type Rig } from './fault-rig.js';

export interface SoakOptions {
  requests: number;
  concurrency: number;
  /** Share of upstream requests answered by a random fault instead of the simulator (0-1). */
  faultRate: number;
  /** Seed of the request mix and the faults, so a run can be repeated. */
  seed: number;
  /** The soak stops issuing requests after this long, whatever is left. */
  maxDurationMs: number;
  /** RUNGATE_UPSTREAM_TIMEOUT_MS of the gateway under soak. */
  timeoutMs: number;
}

export const DEFAULT_SOAK: SoakOptions = { requests: 2_000, concurrency: 20, faultRate: 0.15, seed: 20261121, maxDurationMs: 55_000, timeoutMs: 1_000 };

export interface SoakResult {
  options: SoakOptions;
  completed: number;
  durationMs: number;
  /** Gateway HTTP statuses (a transport failure counts as "network"). */
  httpStatus: Record<string, number>;
  /** Top-level `__typename`s answered (per item for `runs`), and "providers" for the listing. */
  typenames: Record<string, number>;
  /** Faults the fault servers injected, by kind, and how many upstream requests they saw in all. */
  faults: Record<string, number>;
  upstreamRequests: number;
  /** The first few answers that were not HTTP 200 with a typed payload. */
  untyped: string[];
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  fd: { baseline: number; before: number; after: number; afterClose: number };
  heapMB: { before: number; after: number; growth: number };
  /** Most live sockets each fault server had at once (FaultServer.connections.maxLive; the gateway's pool bound is `gatewayPool`). */
  maxUpstreamSockets: Record<string, number>;
  gatewayPool: number;
}

const CANCEL_TYPES = new Set([
  'CancelRunSuccess',
  'InvalidRunInputError',
  'ProviderAuthError',
  'ProviderConflictError',
  'ProviderForbiddenError',
  'ProviderNotConfiguredError',
  'ProviderPaymentRequiredError',
  'ProviderRateLimitedError',
  'ProviderUnavailableError',
  'RunNotCancellableError',
  'RunNotFoundError',
]);
const RESULT_TYPES = new Set([
  'Run',
  'InvalidRunInputError',
  'OperationNotSupportedError',
  'ProviderAuthError',
  'ProviderConflictError',
  'ProviderForbiddenError',
  'ProviderNotConfiguredError',
  'ProviderPaymentRequiredError',
  'ProviderRateLimitedError',
  'ProviderUnavailableError',
  'RunNotFoundError',
]);

const CANCEL_Q = `mutation ($input: CancelRunInput!) { cancelRun(input: $input) { __typename ... on GatewayError { code } ... on CancelRunSuccess { outcome run { id lifecycle { __typename } } } } }`;
const RUN_Q = `query ($id: ID!) { run(id: $id) { __typename ... on Run { id lifecycle { __typename } } ... on GatewayError { code } } }`;
const RUNS_Q = `query ($ids: [ID!]!) { runs(ids: $ids) { __typename ... on Run { id createdAt lifecycle { __typename } } ... on GatewayError { code } } }`;
const PROVIDERS_Q = `{ providers { provider configured supportsCancel supportsRead } }`;

/** mulberry32: a small seeded PRNG, so the mix and the faults repeat run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let gcFn: (() => void) | undefined;
/** A full GC: global.gc when node runs with --expose-gc, else the flag is set at runtime. */
export function forceGc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

const heapMB = () => {
  forceGc();
  return process.memoryUsage().heapUsed / 1_048_576;
};

const OVERSIZED = oversizedJson();

/** The faults of the soak and their weights: mostly fast ones; a few that cost a whole timeout. */
const SOAK_FAULTS: [number, Fault][] = [
  [10, { kind: 'respond', status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"boom"}' }],
  [10, { kind: 'respond', status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>' }],
  [10, { kind: 'respond', status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' }, body: '{"error":"busy"}' }],
  [8, { kind: 'respond', status: 429, headers: { 'content-type': 'application/json', 'retry-after': '60' }, body: '{"detail":"slow down"}' }],
  [6, { kind: 'respond', status: 429, headers: { 'content-type': 'application/json' }, body: '{"detail":"slow down"}' }],
  [8, { kind: 'reset' }],
  [6, { kind: 'reset-mid-body' }],
  [6, { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: MALFORMED_JSON }],
  [6, { kind: 'respond', status: 200, headers: { 'content-type': 'text/html' }, body: HTML_PAGE }],
  [6, { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: '' }],
  [6, { kind: 'truncate' }],
  [3, { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: OVERSIZED }],
  [6, { kind: 'delay', ms: 150 }],
  [1, { kind: 'hang' }],
  [1, { kind: 'trickle', intervalMs: 200 }],
];
const FAULT_WEIGHT = SOAK_FAULTS.reduce((n, [w]) => n + w, 0);

function faultLabel(fault: Fault): string {
  if (fault.kind !== 'respond') return fault.kind;
  if (fault.status !== 200) return `HTTP ${fault.status}${fault.headers?.['retry-after'] ? ` Retry-After ${fault.headers['retry-after']}` : ''}`;
  if (fault.body === '') return '200 empty body';
  if (fault.body === OVERSIZED) return '200 oversized JSON';
  return fault.headers?.['content-type']?.includes('html') ? '200 HTML' : '200 malformed JSON';
}

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}

async function settleFds(target: number, timeoutMs = 3_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = await openFdCount();
  while (n > target && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    n = await openFdCount();
  }
  return n;
}

export async function runSoak(partial: Partial<SoakOptions> = {}): Promise<SoakResult> {
  const options = { ...DEFAULT_SOAK, ...partial };
  const random = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

  forceGc();
  const fdBaseline = await openFdCount();
  const rig: Rig = await startRig({ timeoutMs: options.timeoutMs, logLevel: 'silent', freshRuns: 400 });
  const faults: Record<string, number> = {};
  let upstreamRequests = 0;
  try {
    // Warm up every pool and code path once, before the "before" figures.
    for (const p of PROVIDERS) await post(rig.gw.url, CANCEL_Q, { input: rig.providers[p].fresh() });
    await post(rig.gw.url, RUNS_Q, { ids: PROVIDERS.flatMap((p) => rig.providers[p].readableIds) });

    const faultRandom = prng(options.seed ^ 0x5eed);
    for (const p of PROVIDERS) {
      rig.providers[p].fault.chooser = () => {
        upstreamRequests += 1;
        if (faultRandom() >= options.faultRate) return undefined;
        let n = faultRandom() * FAULT_WEIGHT;
        for (const [w, fault] of SOAK_FAULTS) {
          n -= w;
          if (n < 0) {
            faults[faultLabel(fault)] = (faults[faultLabel(fault)] ?? 0) + 1;
            return fault;
          }
        }
        return undefined;
      };
    }

    const fdBefore = await openFdCount();
    const heapBefore = heapMB();

    const httpStatus: Record<string, number> = {};
    const typenames: Record<string, number> = {};
    const untyped: string[] = [];
    const latencies: number[] = [];
    const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
    const bad = (what: string) => {
      count(typenames, 'UNTYPED');
      if (untyped.length < 10) untyped.push(what.slice(0, 300));
    };

    const allIds = PROVIDERS.flatMap((p) => rig.providers[p].readableIds);
    const next = (): { query: string; variables?: Record<string, unknown>; kind: 'cancel' | 'run' | 'runs' | 'providers' } => {
      const r = random();
      const provider: RunProvider = pick(PROVIDERS);
      if (r < 0.4) return { kind: 'cancel', query: CANCEL_Q, variables: { input: rig.providers[provider].fresh() } };
      if (r < 0.5) {
        // Input the gateway refuses before any upstream call.
        const invalid = [
          { provider, runId: '' },
          { provider: 'PLAYBOOK', teamId: 'not-a-uuid', runId: 'x' },
          { provider: 'RUNFLOW', runId: '01J0-running', reason: 'no' },
          { provider, runId: 'x'.repeat(300) },
        ];
        return { kind: 'cancel', query: CANCEL_Q, variables: { input: pick(invalid) } };
      }
      if (r < 0.8) return { kind: 'run', query: RUN_Q, variables: { id: pick([...allIds, 'nope:1', 'dataframer:%zz']) } };
      if (r < 0.95) return { kind: 'runs', query: RUNS_Q, variables: { ids: Array.from({ length: 5 }, () => pick(allIds)) } };
      return { kind: 'providers', query: PROVIDERS_Q };
    };

    const started = performance.now();
    let issued = 0;
    let completed = 0;
    const worker = async () => {
      while (issued < options.requests && performance.now() - started < options.maxDurationMs) {
        issued += 1;
        const op = next();
        try {
          const res = await post(rig.gw.url, op.query, op.variables);
          latencies.push(res.ms);
          count(httpStatus, String(res.status));
          const data = res.body?.data;
          if (res.status !== 200 || res.body?.errors || !data) bad(`${op.kind}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
          else if (op.kind === 'cancel') (CANCEL_TYPES.has(data.cancelRun?.__typename) ? count(typenames, data.cancelRun.__typename) : bad(JSON.stringify(data)));
          else if (op.kind === 'run') (RESULT_TYPES.has(data.run?.__typename) ? count(typenames, data.run.__typename) : bad(JSON.stringify(data)));
          else if (op.kind === 'runs') {
            for (const item of data.runs ?? []) (RESULT_TYPES.has(item?.__typename) ? count(typenames, item.__typename) : bad(JSON.stringify(item)));
            if ((data.runs ?? []).length !== 5) bad(`runs answered ${data.runs?.length} items for 5 ids`);
          } else (Array.isArray(data.providers) && data.providers.length === 5 ? count(typenames, 'providers') : bad(JSON.stringify(data)));
        } catch (error) {
          count(httpStatus, 'network');
          bad(`${op.kind}: ${String(error)}`);
        }
        completed += 1;
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const durationMs = Math.round(performance.now() - started);

    for (const p of PROVIDERS) rig.providers[p].fault.chooser = undefined;
    const fdAfter = await openFdCount();
    const heapAfter = heapMB();
    const maxUpstreamSockets = Object.fromEntries(PROVIDERS.map((p) => [p, rig.providers[p].fault.connections.maxLive]));

    await rig.close();
    const fdAfterClose = await settleFds(fdBaseline);
    latencies.sort((a, b) => a - b);
    return {
      options,
      completed,
      durationMs,
      httpStatus,
      typenames,
      faults,
      upstreamRequests,
      untyped,
      latencyMs: {
        p50: percentile(latencies, 0.5),
        p95: percentile(latencies, 0.95),
        p99: percentile(latencies, 0.99),
        max: Math.round(latencies[latencies.length - 1] ?? 0),
      },
      fd: { baseline: fdBaseline, before: fdBefore, after: fdAfter, afterClose: fdAfterClose },
      heapMB: { before: round1(heapBefore), after: round1(heapAfter), growth: round1(heapAfter - heapBefore) },
      maxUpstreamSockets,
      gatewayPool: rig.concurrency,
    };
  } finally {
    await rig.close();
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The most file descriptors the soak may hold open beyond its "before" figure, every end in this
 * process: client->gateway sockets (one per concurrent request, both ends), gateway->fault server
 * (the gateway's pool per provider, both ends), fault server->simulator (the fault server's proxy
 * pool of 8 per provider, both ends), plus 16 for anything else (timers, a log file).
 */
export function fdGrowthBound(concurrency: number, gatewayPool: number): number {
  return 2 * concurrency + PROVIDERS.length * gatewayPool * 2 + PROVIDERS.length * 8 * 2 + 16;
}
