// The fault matrix: every fault, what the gateway must answer for it at each provider, and a
// runner that sends one cancelRun through the rig and measures the answer, its latency and the
// upstream attempts. Shared by test/faults.test.ts and scripts/reliability.ts (no vitest here).
import type { RunProvider } from '../../src/runs/domain.js';
import { DEFAULT_HTTP_OPTIONS } from '../../src/providers/http.js';
import { HTML_PAGE, MALFORMED_JSON, oversizedJson, type Fault, type FaultRule } from './fault-server.js';
import { CANCEL, post, type ProviderRig, type Rig } from './fault-rig.js';

/** Slack added to every latency bound: GraphQL parsing, logging, a noisy 2-core machine. */
export const SLACK_MS = 1_500;
/** The most two backoffs can add before a third attempt (full jitter, 100 ms then 200 ms). */
export const BACKOFF_MS = 300;

export interface Expectation {
  typename: string;
  /** Matched with toMatchObject against the payload (outcome, retryable, providerHttpStatus, ...). */
  fields?: Record<string, unknown>;
  message?: RegExp;
  /** Upstream attempts of the faulted request (the cancel, or the read for read-phase faults). */
  attempts: number;
  /** retryAfterSeconds within [lo, hi]; null when the provider named no wait. */
  retryAfter?: [number, number] | null;
  /** A lower bound on latency where the gateway must wait (a timeout, a Retry-After it honours). */
  minMs?: number;
  /** A generous upper bound on latency. */
  maxMs: number;
}

export interface FaultSpec {
  id: string;
  title: string;
  /** Which upstream request carries the fault: the cancel itself, or the read a cancel needs. */
  phase: 'cancel' | 'read';
  /** Programs the provider's fault server (or stops it listening). */
  arm(p: ProviderRig): Promise<void> | void;
  disarm?(p: ProviderRig): Promise<void> | void;
  expect(provider: RunProvider, timeoutMs: number): Expectation;
}

/** A gap between what the gateway does and what it should: the case is kept out of the suite. */
export interface KnownGap {
  expected: string;
  observed: string;
}

// ---- the providers' own error dialects, for canned 5xx and 429 answers ----------------------

function errorBody(provider: RunProvider, status: number): { headers: Record<string, string>; body: string } {
  const json = (body: unknown, type = 'application/json') => ({ headers: { 'content-type': type }, body: JSON.stringify(body) });
  const text = status === 429 ? 'Rate limit exceeded.' : `Upstream failure ${status}.`;
  switch (provider) {
    case 'DATAFRAMER':
      return json({ error: text });
    case 'RETAB':
      return json({ detail: text });
    case 'RUNFLOW':
      return json({ code: status === 429 ? 'RATE_LIMITED' : 'INTERNAL', message: text, errors: null });
    case 'PLAYBOOK':
      return json({ description: text });
    case 'TRIGGER_DEV':
      return status === 429
        ? json({ title: 'Rate Limit Exceeded', status: 429, detail: text, error: text }, 'application/problem+json')
        : json({ error: text });
  }
}

const respond = (provider: RunProvider, status: number, headers: Record<string, string> = {}): Fault => {
  const e = errorBody(provider, status);
  return { kind: 'respond', status, headers: { ...e.headers, ...headers }, body: e.body };
};

const on = (p: ProviderRig, phase: 'cancel' | 'read') => (req: { method: string; path: string }) =>
  phase === 'cancel' ? p.isCancel(req) : p.isRead(req);

const program = (p: ProviderRig, phase: 'cancel' | 'read', ...rules: Omit<FaultRule, 'when'>[]) =>
  p.fault.program(...rules.map((r) => ({ ...r, when: on(p, phase) })));

// ---- expectations --------------------------------------------------------------------------

const unavailable = (fields: Record<string, unknown>, message?: RegExp) => ({
  typename: 'ProviderUnavailableError',
  fields: { code: 'PROVIDER_UNAVAILABLE', ...fields },
  ...(message ? { message } : {}),
});
const cancelled = { typename: 'CancelRunSuccess', fields: { outcome: 'CANCELLED' } };
/** Trigger.dev accepted the cancel (200 {id}) and its read then failed: requested, state unseen. */
const requestedUnseen = { typename: 'CancelRunSuccess', fields: { outcome: 'CANCEL_REQUESTED', run: { lifecycle: { __typename: 'RunStatusUnknown' } } } };
const rateLimited = (providerHttpStatus = 429) => ({
  typename: 'ProviderRateLimitedError',
  fields: { code: 'PROVIDER_RATE_LIMITED', providerHttpStatus },
});

/** A 2xx whose body is not the documented JSON: unavailable, not retryable (the same answer would come back). */
const badBody = (): Expectation => ({
  ...unavailable({ retryable: false }),
  message: /answered HTTP 20[01] with/,
  attempts: 1,
  maxMs: SLACK_MS,
});

/** Faults on a cancel's answer body at every provider, and what a body fault answers at each. */
function bodyFault(id: string, title: string, fault: (p: ProviderRig) => Fault, dataframerEmptyIsSuccess = false): FaultSpec {
  return {
    id,
    title,
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: fault(p) }),
    expect: (provider) => {
      // DataFramer documents its cancel's success as 204 with no body: an empty 200 says the same.
      if (provider === 'DATAFRAMER' && dataframerEmptyIsSuccess) return { ...cancelled, attempts: 1, maxMs: SLACK_MS };
      return badBody();
    },
  };
}

/** The same faults on the read a cancel needs (DataFramer 400 -> read, Retab 404 -> read, Trigger.dev always). */
function readBodyFault(id: string, title: string, fault: Fault): FaultSpec {
  return {
    id: `read:${id}`,
    title: `read after the cancel: ${title}`,
    phase: 'read',
    arm: (p) => program(p, 'read', { fault }),
    expect: (provider) =>
      provider === 'TRIGGER_DEV'
        ? { ...requestedUnseen, attempts: 1, maxMs: SLACK_MS }
        : { ...unavailable({ retryable: false, providerHttpStatus: 200 }), message: /answered HTTP 200 with/, attempts: 1, maxMs: SLACK_MS },
  };
}

export const CANCEL_FAULTS: FaultSpec[] = [
  {
    id: 'refused',
    title: 'connection refused (nothing listening on the port)',
    phase: 'cancel',
    arm: async (p) => {
      await p.fault.refuse();
      // Let the gateway's pool see its keep-alive sockets close before the next request.
      await new Promise((r) => setTimeout(r, 50));
    },
    disarm: (p) => p.fault.accept(),
    expect: () => ({ ...unavailable({ retryable: true, providerHttpStatus: null }, /connection was refused/), attempts: 3, maxMs: BACKOFF_MS + SLACK_MS }),
  },
  {
    id: 'reset-before-headers',
    title: 'socket reset before any header, every attempt',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: { kind: 'reset' }, times: Infinity }),
    expect: () => ({ ...unavailable({ retryable: true, providerHttpStatus: null }, /reset|network level|closed/), attempts: 3, maxMs: BACKOFF_MS + SLACK_MS }),
  },
  {
    id: 'reset-once-then-ok',
    title: 'socket reset before any header once, then the proper answer',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: { kind: 'reset' } }),
    expect: () => ({ ...cancelled, attempts: 2, maxMs: BACKOFF_MS + SLACK_MS }),
  },
  {
    id: 'reset-mid-body',
    title: 'status and headers sent, socket reset mid-body',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: { kind: 'reset-mid-body' } }),
    // The answer had begun: not retried (the cancel may have taken effect).
    expect: () => ({ ...unavailable({ retryable: true, providerHttpStatus: null }), attempts: 1, maxMs: SLACK_MS }),
  },
  {
    id: 'no-headers',
    title: 'connection accepted, no header ever sent',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: { kind: 'hang' } }),
    // A timeout used the time up: not retried.
    expect: (_p, t) => ({ ...unavailable({ retryable: true, providerHttpStatus: null }, /no answer within/), attempts: 1, minMs: t - 50, maxMs: t + SLACK_MS }),
  },
  {
    id: 'trickle-body',
    title: 'body trickled one byte per 250 ms (whole body far slower than the timeout)',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: { kind: 'trickle', intervalMs: 250 } }),
    expect: (_p, t) => ({ ...unavailable({ retryable: true, providerHttpStatus: null }, /no answer within/), attempts: 1, minMs: t - 50, maxMs: t + SLACK_MS }),
  },
  {
    id: '500-then-ok',
    title: 'HTTP 500 once, then the proper answer',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: respond(p.provider, 500) }),
    // Never retried: a 500 may have done something already.
    expect: () => ({ ...unavailable({ retryable: false, providerHttpStatus: 500 }, /HTTP 500/), attempts: 1, maxMs: SLACK_MS }),
  },
  ...([502, 503, 504] as const).map(
    (status): FaultSpec => ({
      id: `${status}x2-then-ok`,
      title: `HTTP ${status} twice, then the proper answer`,
      phase: 'cancel',
      arm: (p) => program(p, 'cancel', { fault: respond(p.provider, status), times: 2 }),
      expect: () => ({ ...cancelled, attempts: 3, maxMs: BACKOFF_MS + SLACK_MS }),
    }),
  ),
  {
    id: '503-persistent',
    title: 'HTTP 503 on every attempt',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: respond(p.provider, 503), times: Infinity }),
    expect: () => ({ ...unavailable({ retryable: true, providerHttpStatus: 503 }, /HTTP 503/), attempts: 3, maxMs: BACKOFF_MS + SLACK_MS }),
  },
  {
    id: '429-retry-after-1',
    title: '429 Retry-After: 1 once, then the proper answer',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: respond(p.provider, 429, { 'retry-after': '1' }) }),
    // The wait fits the deadline: honoured, then retried.
    expect: () => ({ ...cancelled, attempts: 2, minMs: 950, maxMs: 1_000 + SLACK_MS }),
  },
  {
    id: '429-retry-after-60',
    title: '429 Retry-After: 60',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: respond(p.provider, 429, { 'retry-after': '60' }), times: Infinity }),
    // 60 s does not fit the 9 s deadline: answered at once with the wait.
    expect: () => ({ ...rateLimited(), attempts: 1, retryAfter: [60, 60], maxMs: SLACK_MS }),
  },
  {
    id: '429-retry-after-date',
    title: '429 Retry-After as an HTTP date 60 s ahead',
    phase: 'cancel',
    arm: (p) =>
      program(p, 'cancel', {
        fault: () => respond(p.provider, 429, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }),
        times: Infinity,
      }),
    // HTTP dates have whole seconds: 59-60 s, rounded up to tenths.
    expect: () => ({ ...rateLimited(), attempts: 1, retryAfter: [58, 61], maxMs: SLACK_MS }),
  },
  {
    id: '429-x-ratelimit-reset-ms',
    title: "429 with Trigger.dev's x-ratelimit-reset in epoch ms, 30 s ahead (no Retry-After)",
    phase: 'cancel',
    arm: (p) =>
      program(p, 'cancel', {
        fault: () =>
          respond(p.provider, 429, { 'x-ratelimit-limit': '1500', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Date.now() + 30_000) }),
        times: Infinity,
      }),
    expect: () => ({ ...rateLimited(), attempts: 1, retryAfter: [28, 30.1], maxMs: SLACK_MS }),
  },
  {
    id: '429-no-header',
    title: '429 with no rate-limit header, every attempt',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: respond(p.provider, 429), times: Infinity }),
    // No wait named: backoff and retry, then the typed error without a wait.
    expect: () => ({ ...rateLimited(), attempts: 3, retryAfter: null, maxMs: BACKOFF_MS + SLACK_MS }),
  },
  bodyFault('200-malformed-json', '200 application/json with malformed JSON', () => ({
    kind: 'respond',
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: MALFORMED_JSON,
  })),
  bodyFault('200-truncated-json', 'the proper 2xx answer with its JSON cut in half', () => ({ kind: 'truncate' })),
  bodyFault('200-html', '200 text/html page', () => ({ kind: 'respond', status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: HTML_PAGE })),
  {
    id: '200-oversized-json',
    title: '200 application/json body of the 4 MiB cap + 64 KiB',
    phase: 'cancel',
    arm: (p) => program(p, 'cancel', { fault: { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: OVERSIZED } }),
    expect: () => ({ ...unavailable({ providerHttpStatus: null }, new RegExp(`exceeded ${DEFAULT_HTTP_OPTIONS.maxBodyBytes} bytes`)), attempts: 1, maxMs: SLACK_MS }),
  },
  bodyFault(
    '200-empty-body',
    '200 application/json with an empty body',
    () => ({ kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: '' }),
    true,
  ),
];

const OVERSIZED = oversizedJson();

export const READ_FAULTS: FaultSpec[] = [
  readBodyFault('200-malformed-json', '200 with malformed JSON', { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: MALFORMED_JSON }),
  readBodyFault('200-truncated-json', 'the proper answer cut in half', { kind: 'truncate' }),
  readBodyFault('200-html', '200 text/html page', { kind: 'respond', status: 200, headers: { 'content-type': 'text/html' }, body: HTML_PAGE }),
  readBodyFault('200-empty-body', '200 with an empty body', { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: '' }),
  {
    id: 'read:200-oversized-json',
    title: 'read after the cancel: 200 body of the 4 MiB cap + 64 KiB',
    phase: 'read',
    arm: (p) => program(p, 'read', { fault: { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: OVERSIZED } }),
    expect: (provider) =>
      provider === 'TRIGGER_DEV'
        ? { ...requestedUnseen, attempts: 1, maxMs: SLACK_MS }
        : { ...unavailable({ providerHttpStatus: null }, new RegExp(`exceeded ${DEFAULT_HTTP_OPTIONS.maxBodyBytes} bytes`)), attempts: 1, maxMs: SLACK_MS },
  },
  {
    id: 'read:no-headers',
    title: 'read after the cancel: no header ever sent',
    phase: 'read',
    arm: (p) => program(p, 'read', { fault: { kind: 'hang' } }),
    expect: (provider, t) =>
      provider === 'TRIGGER_DEV'
        ? { ...requestedUnseen, attempts: 1, minMs: t - 50, maxMs: t + SLACK_MS }
        : { ...unavailable({ retryable: true }, /no answer within/), attempts: 1, minMs: t - 50, maxMs: t + SLACK_MS },
  },
  {
    id: 'read:503-persistent',
    title: 'read after the cancel: HTTP 503 on every attempt',
    phase: 'read',
    arm: (p) => program(p, 'read', { fault: respond(p.provider, 503), times: Infinity }),
    expect: (provider) =>
      provider === 'TRIGGER_DEV'
        ? { ...requestedUnseen, attempts: 3, maxMs: BACKOFF_MS + SLACK_MS }
        : { ...unavailable({ retryable: true, providerHttpStatus: 503 }), attempts: 3, maxMs: BACKOFF_MS + SLACK_MS },
  },
];

/** Providers whose cancel needs a read (the read-phase faults apply to them). */
export const READ_PHASE_PROVIDERS: RunProvider[] = ['DATAFRAMER', 'RETAB', 'TRIGGER_DEV'];

/**
 * Where the gateway does not do what it should. These cases are left out of the committed suite
 * (FAULTS_STRICT=1 runs them) and listed in the report and RELIABILITY.md.
 */
// None known: DataFramer and Trigger.dev 2xx answers with undocumented bodies now answer ProviderUnavailableError.
export const KNOWN_GAPS: Record<string, KnownGap> = {};

export const gapKey = (provider: RunProvider, fault: string) => `${provider}/${fault}`;

export interface CaseResult {
  provider: RunProvider;
  fault: string;
  httpStatus: number;
  payload: any;
  topLevelErrors: unknown[] | undefined;
  ms: number;
  /** Attempts the gateway logged for the faulted request (method and path of its phase). */
  attempts: number;
  /** Requests of that phase the fault server received (0 when it refused connections). */
  received: number;
}

interface LogLine {
  msg?: string;
  provider?: string;
  method?: string;
  path?: string;
}

/** Runs one fault case: arm, one cancelRun, disarm; measures latency and attempts. */
export async function runCase(rig: Rig, provider: RunProvider, spec: FaultSpec): Promise<CaseResult> {
  const p = rig.providers[provider];
  p.fault.reset();
  const input = spec.phase === 'read' ? p.cancelThatReads!() : p.fresh();
  await spec.arm(p);
  const mark = rig.gw.logs.length;
  let res: Awaited<ReturnType<typeof post>>;
  try {
    res = await post(rig.gw.url, CANCEL, { input });
  } finally {
    await spec.disarm?.(p);
  }
  const matches = spec.phase === 'cancel' ? p.isCancel : p.isRead;
  const attempts = rig.gw.logs
    .slice(mark)
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return {} as LogLine;
      }
    })
    .filter((l) => (l.msg === 'upstream request' || l.msg === 'upstream request failed') && l.provider === provider)
    .filter((l) => matches({ method: l.method ?? '', path: l.path ?? '' })).length;
  const received = p.fault.requests.filter((r) => matches(r)).length;
  p.fault.reset();
  return {
    provider,
    fault: spec.id,
    httpStatus: res.status,
    payload: res.body?.data?.cancelRun,
    topLevelErrors: res.body?.errors,
    ms: res.ms,
    attempts,
    received,
  };
}

/** After a fault: the provider answers a fresh cancel properly again (and its breaker count is back to 0). */
export async function recover(rig: Rig, provider: RunProvider): Promise<{ payload: any; ms: number }> {
  const p = rig.providers[provider];
  p.fault.reset();
  const res = await post(rig.gw.url, CANCEL, { input: p.fresh() });
  return { payload: res.body?.data?.cancelRun, ms: res.ms };
}

/** Every (provider, fault) case of the matrix, in the order the suite runs them. */
export function matrix(): { provider: RunProvider; spec: FaultSpec }[] {
  const out: { provider: RunProvider; spec: FaultSpec }[] = [];
  for (const provider of ['DATAFRAMER', 'RETAB', 'RUNFLOW', 'PLAYBOOK', 'TRIGGER_DEV'] as const) {
    for (const spec of CANCEL_FAULTS) out.push({ provider, spec });
    if (READ_PHASE_PROVIDERS.includes(provider)) for (const spec of READ_FAULTS) out.push({ provider, spec });
  }
  return out;
}

/** Whether `actual` holds everything `expected` does, as toMatchObject judges it. */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return actual === expected;
  if (actual === null || typeof actual !== 'object') return false;
  return Object.entries(expected).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v));
}

/** Checks a result against its expectation without a test runner: the failures, or an empty list. */
export function check(result: CaseResult, e: Expectation): string[] {
  const problems: string[] = [];
  const p = result.payload;
  if (result.httpStatus !== 200) problems.push(`HTTP ${result.httpStatus}`);
  if (result.topLevelErrors?.length) problems.push(`top-level errors: ${JSON.stringify(result.topLevelErrors).slice(0, 200)}`);
  if (p?.__typename !== e.typename) problems.push(`answered ${p?.__typename} (${p?.outcome ?? p?.message ?? ''}), expected ${e.typename}`);
  for (const [k, v] of Object.entries(e.fields ?? {})) if (!matches(p?.[k], v)) problems.push(`${k} = ${JSON.stringify(p?.[k])}, expected ${JSON.stringify(v)}`);
  if (e.message && !e.message.test(p?.message ?? '')) problems.push(`message "${p?.message}" does not match ${e.message}`);
  if (result.attempts !== e.attempts) problems.push(`${result.attempts} attempts, expected ${e.attempts}`);
  if (e.retryAfter === null && p?.retryAfterSeconds !== null) problems.push(`retryAfterSeconds ${p?.retryAfterSeconds}, expected null`);
  if (e.retryAfter && !(p?.retryAfterSeconds >= e.retryAfter[0] && p?.retryAfterSeconds <= e.retryAfter[1])) {
    problems.push(`retryAfterSeconds ${p?.retryAfterSeconds}, expected within ${e.retryAfter.join('-')}`);
  }
  if (e.minMs !== undefined && result.ms < e.minMs) problems.push(`answered in ${Math.round(result.ms)} ms, before the ${e.minMs} ms it must wait`);
  if (result.ms > e.maxMs) problems.push(`answered in ${Math.round(result.ms)} ms, over the ${e.maxMs} ms bound`);
  return problems;
}
