// Hostile input over real loopback HTTP, against the five simulators (which record every request's
// raw target exactly as it arrived):
// - run ids with path traversal, encoded slashes, query and fragment characters, unicode, 1 MB
//   strings: every answer is typed, and no upstream request ever leaves the run's own path
//   segment, neither as sent nor after the dot-segment normalization a proxy or framework in
//   front of the provider may apply (WHATWG URL / RFC 3986 5.2.4, where %2E is ".");
// - the same tricks inside global ids given to run(id:) and runs(ids:);
// - alias floods, deep nesting, fragment cycles, huge documents, batches: answered with errors (or
//   data), never a crash; the gateway answers normally afterwards.
//
// Cases listed in KNOWN_GAPS below are where the gateway does not yet do what it should; they are
// skipped unless ADVERSARIAL_STRICT=1.
//
// Query limits (graphql-armor: tokens, depth, aliases; d20201b) are configured by default, so the
// flood cases expect them (marked TIGHTEN below): a GraphQL error naming the limit, before any
// upstream call. RUNGATE_EXPECT_LIMITS=0 reduces them to "the process survives and answers", for a
// gateway run without limits.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunProvider } from '../src/runs/domain.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { RecordedRequest, Simulator } from '../src/sandbox/sim-server.js';
import { PLAYBOOK_SANDBOX_TEAM_ID } from '../src/sandbox/playbook.js';
import { post } from './support/fault-rig.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const STRICT = process.env.ADVERSARIAL_STRICT === '1';
const EXPECT_LIMITS = process.env.RUNGATE_EXPECT_LIMITS !== '0';

let sandbox: Sandbox;
let gw: TestGateway;
const sims = {} as Record<RunProvider, Simulator>;

beforeAll(async () => {
  sandbox = await startSandbox();
  const [df, rt, rf, pb, tr] = sandbox.simulators;
  Object.assign(sims, { DATAFRAMER: df, RETAB: rt, RUNFLOW: rf, PLAYBOOK: pb, TRIGGER_DEV: tr });
  const p = sandbox.providers;
  gw = await startGateway({
    LOG_LEVEL: 'silent',
    RUNGATE_UPSTREAM_TIMEOUT_MS: '2000',
    DATAFRAMER_API_KEY: p.DATAFRAMER.credentials!.apiKey,
    DATAFRAMER_BASE_URL: p.DATAFRAMER.baseUrl,
    RETAB_API_KEY: p.RETAB.credentials!.apiKey,
    RETAB_BASE_URL: p.RETAB.baseUrl,
    RUNFLOW_ADMIN_KEY: p.RUNFLOW.credentials!.adminKey,
    RUNFLOW_BASE_URL: p.RUNFLOW.baseUrl,
    PLAYBOOK_API_KEY: p.PLAYBOOK.credentials!.apiKey,
    PLAYBOOK_JWT: p.PLAYBOOK.credentials!.jwt,
    PLAYBOOK_BASE_URL: p.PLAYBOOK.baseUrl,
    TRIGGER_SECRET_KEY: p.TRIGGER_DEV.credentials!.secretKey,
    TRIGGER_BASE_URL: p.TRIGGER_DEV.baseUrl,
    RUNGATE_ALLOW_ANONYMOUS: '1',
  });
});
afterAll(async () => {
  await gw?.close();
  await sandbox?.close();
});
beforeEach(() => {
  for (const s of Object.values(sims)) s.clearRequests();
});

const CANCEL_TYPES = [
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
];
const RESULT_TYPES = [
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
];

const CANCEL = `mutation ($input: CancelRunInput!) { cancelRun(input: $input) { __typename ... on GatewayError { code message } ... on InvalidRunInputError { field } } }`;
const RUN = `query ($id: ID!) { run(id: $id) { __typename ... on GatewayError { code message } ... on InvalidRunInputError { field } } }`;
const RUNS = `query ($ids: [ID!]!) { runs(ids: $ids) { __typename ... on Run { id } ... on GatewayError { code } } }`;

/** Each provider's upstream paths with the run id's place: [before, after]. */
const TEMPLATES: Record<RunProvider, [string, string][]> = {
  DATAFRAMER: [
    ['/api/dataframer/runs/', '/cancel/'],
    ['/api/dataframer/runs/', '/'],
  ],
  RETAB: [
    ['/v1/workflows/experiments/runs/', '/cancel'],
    ['/v1/workflows/experiments/runs/', ''],
  ],
  RUNFLOW: [
    ['/v1/admin/runs/', '/cancellation'],
    ['/v1/runs/', ''],
  ],
  PLAYBOOK: [[`/cancel/${PLAYBOOK_SANDBOX_TEAM_ID}/`, '']],
  TRIGGER_DEV: [
    ['/api/v2/runs/', '/cancel'],
    ['/api/v3/runs/', ''],
  ],
};

/**
 * Why an upstream request left the run's segment, or undefined when it stayed in it: the raw
 * target must be one of the provider's templates with exactly one segment in the id's place that
 * decodes to the id, no query or fragment, and nothing a dot-segment normalization would change.
 */
function escapes(provider: RunProvider, req: RecordedRequest, id: string): string | undefined {
  const raw = req.path;
  if (/[?#]/.test(raw)) return `raw target ${raw} has a query or fragment`;
  const normalized = new URL(raw, 'http://upstream.invalid').pathname;
  if (normalized !== raw) return `raw target ${raw} normalizes to ${normalized} (dot segments)`;
  for (const [before, after] of TEMPLATES[provider]) {
    if (!raw.startsWith(before) || !raw.endsWith(after) || raw.length < before.length + after.length) continue;
    const segment = raw.slice(before.length, raw.length - after.length);
    if (segment.includes('/')) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      continue;
    }
    if (decoded === id) return undefined;
  }
  return `raw target ${raw} is not ${provider}'s run path for ${JSON.stringify(id.slice(0, 40))}`;
}

const MB = 1_048_576;
/** Ids with every trick; over-long ones must be refused before any upstream call. */
const HOSTILE_IDS: [string, string][] = [
  ['../', '../'],
  ['../../users/api-key/rotate', '../../users/api-key/rotate'],
  ['..', '..'],
  ['.', '.'],
  ['..%2F', '..%2F'],
  ['%2e%2e', '%2e%2e'],
  ['%2E%2E%2F..%2F', '%2E%2E%2F..%2F'],
  ['..%252F', '..%252F'],
  ['..\\..\\', '..\\..\\'],
  ['a/b', 'a/b'],
  ['/', '/'],
  ['//evil.example/x', '//evil.example/x'],
  ['?x=1', '?x=1'],
  ['a?b=c&d', 'a?b=c&d'],
  ['#frag', '#frag'],
  ['a;b', 'a;b'],
  ['%', '%'],
  ['a%00b', 'a%00b'],
  ['unicode', 'ünïcødé-✓-🚀-Ⅻ'],
  ['right-to-left override', 'run\u202e_txt.exe'],
  ['zero-width', 'run\u200b_x'],
  ['full-width solidus', '..／..／x'],
  ['run id with space', 'run id'],
];

/** Where the gateway does not yet do what it should (see the report); skipped unless ADVERSARIAL_STRICT=1. */
const KNOWN_GAPS: Record<string, string> = {}; // none known: the dot-segment, lone-surrogate and deep-nesting gaps are fixed
const gapTest = (name: string) => (KNOWN_GAPS[name] && !STRICT ? it.skip : it);

describe('hostile run ids in cancelRun', () => {
  for (const provider of ['DATAFRAMER', 'RETAB', 'RUNFLOW', 'TRIGGER_DEV'] as const) {
    for (const [name, id] of HOSTILE_IDS) {
      gapTest(name)(`${provider}: ${name} stays inside the run's path segment and answers typed`, async () => {
        const r = await post(gw.url, CANCEL, { input: { provider, runId: id } });
        expect(r.status).toBe(200);
        expect(r.body.errors).toBeUndefined();
        expect(CANCEL_TYPES).toContain(r.body.data.cancelRun.__typename);
        const seen = sims[provider].requests;
        for (const req of seen) expect(escapes(provider, req, id)).toBeUndefined();
        // And nothing went to any other provider.
        for (const other of Object.keys(sims) as RunProvider[]) if (other !== provider) expect(sims[other].requests).toEqual([]);
      });
    }
  }

  gapTest('lone surrogate')(`a lone UTF-16 surrogate in runId answers typed, at every provider`, async () => {
    for (const provider of ['DATAFRAMER', 'RETAB', 'RUNFLOW', 'TRIGGER_DEV'] as const) {
      const r = await post(gw.url, CANCEL, { input: { provider, runId: 'run\ud800x' } });
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.cancelRun).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    }
  });

  it('Playbook: hostile run ids and team ids are refused as non-UUIDs before any upstream call', async () => {
    for (const [, id] of HOSTILE_IDS) {
      for (const input of [
        { provider: 'PLAYBOOK', teamId: PLAYBOOK_SANDBOX_TEAM_ID, runId: id },
        { provider: 'PLAYBOOK', teamId: id, runId: '00000000-0000-4000-8000-000000000004' },
      ]) {
        const r = await post(gw.url, CANCEL, { input });
        expect(r.body.errors).toBeUndefined();
        expect(r.body.data.cancelRun).toMatchObject({ __typename: 'InvalidRunInputError', code: 'INVALID_RUN_INPUT' });
      }
    }
    expect(sims.PLAYBOOK.requests).toEqual([]);
  });

  it('1 MB ids and reasons are refused as InvalidRunInputError before any upstream call, at every provider', async () => {
    const huge = ['x'.repeat(MB), '../'.repeat(MB / 3), '%2F'.repeat(MB / 3)];
    for (const provider of ['DATAFRAMER', 'RETAB', 'RUNFLOW', 'PLAYBOOK', 'TRIGGER_DEV'] as const) {
      for (const runId of huge) {
        const input = provider === 'PLAYBOOK' ? { provider, teamId: PLAYBOOK_SANDBOX_TEAM_ID, runId } : { provider, runId };
        const r = await post(gw.url, CANCEL, { input });
        expect(r.status).toBe(200);
        expect(r.body.data.cancelRun).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
        expect(r.body.data.cancelRun.message.length).toBeLessThan(500); // the id is not echoed back whole
      }
    }
    const reason = await post(gw.url, CANCEL, { input: { provider: 'RUNFLOW', runId: '01J0-running', reason: 'r'.repeat(MB) } });
    expect(reason.body.data.cancelRun).toMatchObject({ __typename: 'InvalidRunInputError', field: 'reason' });
    for (const s of Object.values(sims)) expect(s.requests).toEqual([]);
  });
});

describe('hostile global ids in run(id:) and runs(ids:)', () => {
  const cases: [string, RunProvider | undefined, string | undefined][] = [
    // [global id, provider it names, the provider run id it decodes to (undefined: refused before any call)]
    ['dataframer:..%2F..%2Fusers', 'DATAFRAMER', '../../users'],
    ['dataframer:../../users', 'DATAFRAMER', '../../users'],
    ['dataframer:a/b', 'DATAFRAMER', 'a/b'],
    ['dataframer:%252e%252e', 'DATAFRAMER', '%2e%2e'],
    ['retab:%3Fx%3D1', 'RETAB', '?x=1'],
    ['retab:?x=1', 'RETAB', '?x=1'],
    ['runflow:#frag', 'RUNFLOW', '#frag'],
    ['runflow:%23frag', 'RUNFLOW', '#frag'],
    ['trigger-dev:..%2Fv1%2Fruns', 'TRIGGER_DEV', '../v1/runs'],
    ['trigger-dev:%F0%9F%9A%80', 'TRIGGER_DEV', '🚀'],
    ['dataframer:%', 'DATAFRAMER', undefined],
    ['dataframer:%ED%A0%80', 'DATAFRAMER', undefined], // a UTF-8-encoded surrogate: a malformed escape
    ['dataframer:', 'DATAFRAMER', undefined],
    ['playbook:../..', 'PLAYBOOK', undefined],
    ['playbook:a/b', 'PLAYBOOK', undefined],
    ['nope:..', undefined, undefined],
    [':x', undefined, undefined],
    ['../../x', undefined, undefined],
    ['DATAFRAMER:x', undefined, undefined],
    [`dataframer:${'x'.repeat(MB)}`, 'DATAFRAMER', undefined],
    [`trigger-dev:${'..%2F'.repeat(MB / 5)}`, 'TRIGGER_DEV', undefined],
  ];
  for (const [gid, provider, decoded] of cases) {
    it(`${JSON.stringify(gid.slice(0, 40))}${gid.length > 40 ? `... (${gid.length} chars)` : ''} answers typed${decoded === undefined ? ', refused before any upstream call' : ` and reads only ${JSON.stringify(decoded)}'s own path`}`, async () => {
      const r = await post(gw.url, RUN, { id: gid });
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
      expect(RESULT_TYPES).toContain(r.body.data.run.__typename);
      const all = Object.values(sims).flatMap((s) => s.requests);
      if (decoded === undefined) {
        expect(r.body.data.run.__typename).toBe('InvalidRunInputError');
        expect(all).toEqual([]);
      } else {
        expect(all.length).toBeGreaterThan(0);
        for (const req of sims[provider!].requests) expect(escapes(provider!, req, decoded)).toBeUndefined();
      }
    });
  }

  for (const gid of ['dataframer:..', 'dataframer:%2E%2E', 'trigger-dev:.']) {
    gapTest(gid.endsWith('.') && !gid.endsWith('..') ? '.' : '..')(`${gid} stays inside the run's path segment`, async () => {
      const r = await post(gw.url, RUN, { id: gid });
      expect(r.body.errors).toBeUndefined();
      const provider: RunProvider = gid.startsWith('trigger') ? 'TRIGGER_DEV' : 'DATAFRAMER';
      const id = gid.slice(gid.indexOf(':') + 1).replace(/%2E/g, '.');
      for (const req of sims[provider].requests) expect(escapes(provider, req, id)).toBeUndefined();
    });
  }

  it('runs(ids:) with every hostile id at once: one typed result per id, in order; the bad ones do not fail the good ones', async () => {
    // (The 1 MB ids are left out: together they would pass the request size limit.)
    const ids = [...cases.map(([gid]) => gid).filter((gid) => gid.length < 1_000), 'dataframer:df-succeeded', 'runflow:01J0-failed'];
    const r = await post(gw.url, RUNS, { ids });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.runs).toHaveLength(ids.length);
    for (const item of r.body.data.runs) expect(RESULT_TYPES).toContain(item.__typename);
    expect(r.body.data.runs.slice(-2)).toMatchObject([
      { __typename: 'Run', id: 'dataframer:df-succeeded' },
      { __typename: 'Run', id: 'runflow:01J0-failed' },
    ]);
  });

  gapTest('lone surrogate')('a lone surrogate in one id of runs(ids:) fails only its own item', async () => {
    const r = await post(gw.url, RUNS, { ids: ['dataframer:a\udc00', 'dataframer:df-succeeded'] });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.runs).toMatchObject([{ __typename: 'InvalidRunInputError' }, { __typename: 'Run' }]);
  });
});

describe('query floods and deep queries', () => {
  const upstreamCount = () => Object.values(sims).reduce((n, s) => n + s.requests.length, 0);

  /** Sends a hostile document; asserts only that the gateway answered (any status, a JSON body) in time. */
  async function survive(query: string, boundMs = 15_000) {
    const r = await post(gw.url, query);
    expect(r.status).toBeLessThan(600);
    expect(r.body).toBeTypeOf('object');
    expect(r.body.unparsable).toBeUndefined();
    expect(r.ms).toBeLessThan(boundMs);
    return r;
  }
  const limitError = (r: { status: number; body: any }, what: RegExp) => {
    // TIGHTEN: with graphql-armor configured, a document over a limit is refused with a GraphQL
    // error naming the limit (HTTP 400 or 200 by content negotiation), before anything executes.
    expect(r.body.data ?? null).toBeNull();
    expect(r.body.errors?.[0]?.message).toMatch(what);
  };

  it('an alias flood of 5,000 fields', async () => {
    const r = await survive(`{ ${Array.from({ length: 5_000 }, (_, i) => `a${i}: providers { provider }`).join(' ')} }`);
    if (EXPECT_LIMITS) limitError(r, /alias|token/i); // TIGHTEN
  });

  it('an alias flood of 200 cancels of one run (each alias would be an upstream cancel)', async () => {
    const before = upstreamCount();
    const r = await survive(`mutation { ${Array.from({ length: 200 }, (_, i) => `c${i}: cancelRun(input: {provider: DATAFRAMER, runId: "df-succeeded"}) { __typename }`).join(' ')} }`);
    if (EXPECT_LIMITS) {
      limitError(r, /alias|token/i); // TIGHTEN
      expect(upstreamCount()).toBe(before); // TIGHTEN: refused before any upstream call
    }
  });

  it('an alias flood of 300 reads of distinct runs', async () => {
    const before = upstreamCount();
    const r = await survive(`{ ${Array.from({ length: 300 }, (_, i) => `r${i}: run(id: "retab:exprun_flood_${i}") { __typename }`).join(' ')} }`);
    if (EXPECT_LIMITS) {
      limitError(r, /alias|token/i); // TIGHTEN
      expect(upstreamCount()).toBe(before); // TIGHTEN
    }
  });

  it('a 40-level introspection query', async () => {
    const r = await survive(`{ __schema { types { fields { type { ${'ofType { '.repeat(40)} name ${'} '.repeat(40)} } } } } }`);
    // TIGHTEN: refused (introspection off outside sandbox mode, or a depth limit), or answered.
    if (EXPECT_LIMITS) limitError(r, /introspection|depth|token/i);
  });

  it.each([1_000, 20_000])('selections nested %i deep', async (depth) => {
    const r = await survive(`{ providers ${'{ provider '.repeat(depth)}${'}'.repeat(depth)} }`);
    // Never valid (provider is a leaf), so never data.
    expect(r.body.data ?? null).toBeNull();
    expect(r.body.errors?.length).toBeGreaterThan(0);
    if (EXPECT_LIMITS) {
      limitError(r, /depth|token/i); // TIGHTEN
      expect(r.status).toBeLessThan(500); // TIGHTEN: a refusal, not an internal error
    }
  });

  it('a fragment cycle, and a fragment fan-out of 2^11 spreads', async () => {
    const cycle = await survive('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A providers { provider } }');
    expect(cycle.body.errors?.[0]?.message).toMatch(/Cannot spread fragment/);
    const fanOut = Array.from({ length: 12 }, (_, i) => `fragment F${i} on Query { providers { provider } ${i < 11 ? `...F${i + 1} ...F${i + 1}` : ''} }`);
    await survive(`query { ...F0 } ${fanOut.join(' ')}`);
  });

  it('a 1 MB document (one comment) and 5,000 repeated directives', async () => {
    await survive(`# ${'x'.repeat(MB)}\n{ providers { provider } }`);
    const directives = await survive(`{ providers @include(if: true)${' @skip(if: false)'.repeat(5_000)} { provider } }`);
    expect(directives.body.errors?.length).toBeGreaterThan(0);
  });

  it('a batch of 1,000 operations in one body is refused', async () => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 1_000 }, () => ({ query: '{ providers { provider } }' }))),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  gapTest('permissive limits')('with the most permissive limits the configuration accepts, 20,000-deep nesting is refused, not an internal error', async () => {
    const loose = await startGateway({
      LOG_LEVEL: 'silent',
      RUNGATE_ALLOW_ANONYMOUS: '1',
      RUNGATE_MAX_TOKENS: '10000',
      RUNGATE_MAX_DEPTH: '100',
      RUNGATE_MAX_ALIASES: '1000',
    });
    try {
      const r = await post(loose.url, `{ providers ${'{ provider '.repeat(20_000)}${'}'.repeat(20_000)} }`);
      expect(r.status).toBe(400);
      expect(r.body.errors?.[0]?.message).toMatch(/depth|token/i);
    } finally {
      await loose.close();
    }
  });

  it('after all of it the gateway answers a normal query, a cancel and /health', async () => {
    const r = await post(gw.url, '{ providers { provider configured } }');
    expect(r.status).toBe(200);
    expect(r.body.data.providers).toHaveLength(5);
    const c = await post(gw.url, CANCEL, { input: { provider: 'RUNFLOW', runId: '01J0-queued' } });
    expect(c.body.data.cancelRun.__typename).toBe('CancelRunSuccess');
    expect((await fetch(new URL('/health', gw.url))).status).toBe(200);
  });
});
