// Reading Retab experiment runs through the gateway (run / runs), and the simulator's own
// fidelity to the documented read endpoints (get, list) and FastAPI's routing behaviour.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RETAB_SANDBOX_KEY, retabSeeds, startRetabSim, type RetabRun } from '../src/sandbox/retab.js';
import { READ_RUN, startGateway, withStubProvider, type TestGateway } from './support/gateway.js';

const NOW = Date.now();
const RUNS = '/v1/workflows/experiments/runs';

let sim: Awaited<ReturnType<typeof startRetabSim>>;
let gw: TestGateway;


function seeded(id: string, status: string): RetabRun {
  return { ...retabSeeds(NOW).find((r) => r.id === 'exprun_running')!, id, status };
}

beforeAll(async () => {
  sim = await startRetabSim({ seeds: retabSeeds(NOW) });
  gw = await startGateway({ RETAB_API_KEY: RETAB_SANDBOX_KEY, RETAB_BASE_URL: sim.url });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});
beforeEach(() => {
  sim.runs.clear();
  for (const r of retabSeeds(NOW)) sim.runs.set(r.id, { ...r });
  sim.clearRequests();
});

async function read(id: string) {
  const res = await gw.gql(READ_RUN, { id });
  expect(res.errors).toBeUndefined();
  return res.data.run;
}

describe('run(id) at Retab: every documented lifecycle literal', () => {
  it.each([
    ['exprun_pending', 'RunPending', 'PENDING', 'pending'],
    ['exprun_queued', 'RunQueued', 'QUEUED', 'queued'],
    ['exprun_running', 'RunRunning', 'RUNNING', 'running'],
    ['exprun_completed', 'RunSucceeded', 'SUCCEEDED', 'completed'],
    ['exprun_error', 'RunFailed', 'FAILED', 'error'],
    ['exprun_cancelled', 'RunCancelled', 'CANCELLED', 'cancelled'],
  ])('%s -> %s (%s), providerStatus %s', async (runId, typename, status, literal) => {
    const run = await read(`retab:${runId}`);
    const seed = sim.runs.get(runId)!;
    expect(run).toMatchObject({
      __typename: 'Run',
      id: `retab:${runId}`,
      provider: 'RETAB',
      providerRunId: runId,
      createdAt: seed.created_at,
      startedAt: seed.started_at,
      finishedAt: seed.completed_at,
      lifecycle: { __typename: typename, status, providerStatus: literal },
    });
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${RUNS}/${runId}`]);
    expect(sim.requests[0]!.headers.authorization).toBe(`Bearer ${RETAB_SANDBOX_KEY}`);
    expect(sim.requests[0]!.body).toBe('');
  });

  it('an error run shows lifecycle.message as failureMessage and details.error_code as failureCode, never the stack trace', async () => {
    const run = await read('retab:exprun_error');
    expect(run.lifecycle).toEqual({
      __typename: 'RunFailed',
      status: 'FAILED',
      providerStatus: 'error',
      finishedAt: sim.runs.get('exprun_error')!.completed_at,
      failureMessage: 'Extraction failed: the model output did not match the schema for 3 of 12 documents.',
      failureCode: 'SCHEMA_VALIDATION_FAILED',
    });
    expect(JSON.stringify(run)).not.toContain('Traceback');
  });

  it('an error run without details: the message alone, failureCode null', async () => {
    sim.runs.set('exprun_err2', { ...seeded('exprun_err2', 'error'), message: 'Worker lost', details: null, completed_at: '2026-05-18T10:00:04Z' });
    expect((await read('retab:exprun_err2')).lifecycle).toMatchObject({ failureMessage: 'Worker lost', failureCode: null });
  });

  it('a cancelled run shows its reason; a completed run is not partial', async () => {
    expect((await read('retab:exprun_cancelled')).lifecycle.reason).toBe('Superseded by a newer run of the same experiment.');
    expect((await read('retab:exprun_completed')).lifecycle.partial).toBeNull();
  });

  it('a running run shows when it started', async () => {
    expect((await read('retab:exprun_running')).lifecycle.startedAt).toBe(sim.runs.get('exprun_running')!.started_at);
  });

  it('tolerates the US spelling canceled and keeps an unknown literal as RunStatusUnknown', async () => {
    sim.runs.set('exprun_us', seeded('exprun_us', 'canceled'));
    sim.runs.set('exprun_new', seeded('exprun_new', 'paused'));
    expect((await read('retab:exprun_us')).lifecycle).toMatchObject({ __typename: 'RunCancelled', providerStatus: 'canceled' });
    expect((await read('retab:exprun_new')).lifecycle).toEqual({ __typename: 'RunStatusUnknown', status: 'UNKNOWN', providerStatus: 'paused' });
  });

  it('the quirk runs read as the in-flight runs they are', async () => {
    for (const id of ['exprun_race_lost', 'exprun_stopping', 'exprun_lagging', 'exprun_conflict']) {
      expect((await read(`retab:${id}`)).lifecycle).toMatchObject({ __typename: 'RunRunning', providerStatus: 'running' });
    }
  });
});

describe('run(id) at Retab: failures', () => {
  it('an unknown run is RunNotFoundError', async () => {
    expect(await read('retab:exprun_nope')).toMatchObject({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      providerRunId: 'exprun_nope',
      providerHttpStatus: 404,
    });
  });

  it('a rate-limited read is ProviderRateLimitedError with retryAfterSeconds', async () => {
    expect(await read('retab:exprun_rate_limited')).toMatchObject({
      __typename: 'ProviderRateLimitedError',
      code: 'PROVIDER_RATE_LIMITED',
      providerHttpStatus: 429,
      retryAfterSeconds: 12,
    });
  });

  it.each([
    ['exprun_unauthorized', { __typename: 'ProviderAuthError', providerHttpStatus: 401 }],
    ['exprun_forbidden', { __typename: 'ProviderForbiddenError', providerHttpStatus: 403, providerCode: 'PERMISSION_DENIED' }],
    ['exprun_invalid', { __typename: 'InvalidRunInputError', providerHttpStatus: 422, field: 'runId' }],
    ['exprun_unavailable', { __typename: 'ProviderUnavailableError', providerHttpStatus: 503, retryable: true }],
  ])('%s reads as %o', async (runId, expected) => {
    expect(await read(`retab:${runId}`)).toMatchObject(expected);
  });

  it('ids round-trip percent-encoded: the global id, the upstream path, providerRunId', async () => {
    sim.runs.set('exprun odd?id #1', seeded('exprun odd?id #1', 'queued'));
    const run = await read('retab:exprun%20odd%3Fid%20%231');
    expect(run).toMatchObject({ __typename: 'Run', id: 'retab:exprun%20odd%3Fid%20%231', providerRunId: 'exprun odd?id #1' });
    expect(sim.requests.map((r) => r.path)).toEqual([`${RUNS}/exprun%20odd%3Fid%20%231`]);
  });

  it('an id with / cannot reach another run: RunNotFoundError, both for a miss and for a 405 route clash', async () => {
    expect(await read('retab:exprun_x%2F..%2Fexprun_running')).toMatchObject({ __typename: 'RunNotFoundError' });
    expect(await read('retab:exprun_running%2Fcancel')).toMatchObject({ __typename: 'RunNotFoundError', providerHttpStatus: 405 });
    expect(await read('retab:exprun_running%2F')).toMatchObject({ __typename: 'RunNotFoundError', providerHttpStatus: 307 });
    expect(sim.requests.map((r) => r.path)).toEqual([
      `${RUNS}/exprun_x%2F..%2Fexprun_running`,
      `${RUNS}/exprun_running%2Fcancel`,
      `${RUNS}/exprun_running%2F`,
    ]);
    expect(sim.runs.get('exprun_running')!.status).toBe('running');
  });

  it('runs(ids) answers each id on its own, in order, one GET per distinct id', async () => {
    const res = await gw.gql(
      `query($ids: [ID!]!) { runs(ids: $ids) { __typename ... on Run { id lifecycle { __typename } } ... on GatewayError { code } } }`,
      { ids: ['retab:exprun_completed', 'retab:exprun_nope', 'retab:exprun_forbidden', 'retab:exprun_completed', 'retab:exprun_queued'] },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.runs).toEqual([
      { __typename: 'Run', id: 'retab:exprun_completed', lifecycle: { __typename: 'RunSucceeded' } },
      { __typename: 'RunNotFoundError', code: 'RUN_NOT_FOUND' },
      { __typename: 'ProviderForbiddenError', code: 'PROVIDER_FORBIDDEN' },
      { __typename: 'Run', id: 'retab:exprun_completed', lifecycle: { __typename: 'RunSucceeded' } },
      { __typename: 'Run', id: 'retab:exprun_queued', lifecycle: { __typename: 'RunQueued' } },
    ]);
    expect(sim.requests.map((r) => r.path).sort()).toEqual(
      [`${RUNS}/exprun_completed`, `${RUNS}/exprun_forbidden`, `${RUNS}/exprun_nope`, `${RUNS}/exprun_queued`].sort(),
    );
  });

  it('never puts the API key in a response or a log line', async () => {
    const answers = [];
    for (const id of ['exprun_unauthorized', 'exprun_forbidden', 'exprun_error', 'exprun_nope']) answers.push(await read(`retab:${id}`));
    expect(JSON.stringify(answers)).not.toContain(RETAB_SANDBOX_KEY);
    expect(gw.logs.join('')).not.toContain(RETAB_SANDBOX_KEY);
  });
});

// The simulator answers like the documented API (and like FastAPI where the docs are silent).
describe('simulated Retab: the read endpoints as documented', () => {
  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${RETAB_SANDBOX_KEY}` }, method = 'GET') =>
    fetch(`${sim.url}${path}`, { method, headers, redirect: 'manual' });

  it('GET a run: the docs example shape, JSON, with a request id', async () => {
    const res = await get(`${RUNS}/exprun_completed`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const body = await res.json();
    expect(body).toMatchObject({
      id: 'exprun_completed',
      workflow: { workflow_id: 'wf_sandbox', version_id: expect.any(String) },
      trigger: { type: 'api' },
      lifecycle: { status: 'completed' },
      timing: { created_at: expect.any(String), started_at: expect.any(String), completed_at: expect.any(String), duration_ms: expect.any(Number) },
      experiment_id: 'exp_sandbox',
      block_id: 'extract-invoice',
    });
  });

  it('GET an error run: lifecycle {status, message, details{...error_code...}}; a cancelled one: {status, reason}', async () => {
    const error = await (await get(`${RUNS}/exprun_error`)).json();
    expect(error.lifecycle).toMatchObject({ status: 'error', message: expect.any(String), details: { error_code: 'SCHEMA_VALIDATION_FAILED' } });
    const cancelled = await (await get(`${RUNS}/exprun_cancelled`)).json();
    expect(cancelled.lifecycle).toEqual({ status: 'cancelled', reason: 'Superseded by a newer run of the same experiment.' });
  });

  it('list: {data, list_metadata{before, after}} with cursor pagination, newest first by default', async () => {
    const first = await (await get(`${RUNS}?limit=5`)).json();
    expect(Object.keys(first).sort()).toEqual(['data', 'list_metadata']);
    expect(first.data).toHaveLength(5);
    expect(first.list_metadata).toEqual({ before: null, after: first.data[4].id });
    const ids: string[] = first.data.map((r: { id: string }) => r.id);
    let after = first.list_metadata.after;
    while (after) {
      const page = await (await get(`${RUNS}?limit=5&after=${encodeURIComponent(after)}`)).json();
      ids.push(...page.data.map((r: { id: string }) => r.id));
      expect(page.list_metadata.before).toBe(page.data[0].id);
      after = page.list_metadata.after;
    }
    expect(ids.sort()).toEqual([...sim.runs.keys()].sort());
  });

  it('list filters by status and exclude_status', async () => {
    const running = await (await get(`${RUNS}?status=running`)).json();
    expect(running.data.length).toBeGreaterThan(0);
    expect(running.data.every((r: { lifecycle: { status: string } }) => r.lifecycle.status === 'running')).toBe(true);
    const notRunning = await (await get(`${RUNS}?exclude_status=running&order=asc`)).json();
    expect(notRunning.data.map((r: { lifecycle: { status: string } }) => r.lifecycle.status).sort()).toEqual(
      ['cancelled', 'completed', 'error', 'pending', 'queued'],
    );
  });

  it('list rejects a bad limit or status with a FastAPI 422 HTTPValidationError', async () => {
    const res = await get(`${RUNS}?limit=500&status=canceled`);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.detail).toEqual([
      expect.objectContaining({ type: 'less_than_equal', loc: ['query', 'limit'], msg: 'Input should be less than or equal to 100' }),
      expect.objectContaining({ type: 'literal_error', loc: ['query', 'status'] }),
    ]);
  });

  it('the older nested list route answers {runs: [...]} with a flat status', async () => {
    const body = await (await get('/v1/workflows/wf_sandbox/experiments/exp_sandbox/runs')).json();
    expect(body.runs.length).toBe(sim.runs.size);
    expect(body.runs[0]).toMatchObject({ id: expect.any(String), status: expect.any(String) });
  });

  it('auth: no header -> 401 "Not authenticated" with WWW-Authenticate; a wrong key -> 401', async () => {
    const none = await get(`${RUNS}/exprun_running`, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ detail: 'Not authenticated' });
    const apiKeyHeader = await get(`${RUNS}/exprun_running`, { 'api-key': RETAB_SANDBOX_KEY });
    expect(apiKeyHeader.status).toBe(401);
    const wrong = await get(`${RUNS}/exprun_running`, { authorization: 'Bearer rt_test_nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ detail: 'Invalid API key' });
  });

  it('FastAPI routing: a trailing slash is a 307 to the canonical path, a wrong method 405, an unknown path 404', async () => {
    const slash = await get(`${RUNS}/exprun_running/cancel/`, undefined, 'POST');
    expect(slash.status).toBe(307);
    expect(new URL(slash.headers.get('location')!).pathname).toBe(`${RUNS}/exprun_running/cancel`);
    expect(sim.runs.get('exprun_running')!.status).toBe('running');
    const wrongMethod = await get(`${RUNS}/exprun_running/cancel`);
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ detail: 'Method Not Allowed' });
    const unknown = await get('/v1/workflows/experiments/runz');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ detail: 'Not Found' });
  });

  it('cancel answers {id, lifecycle, timing}; a second cancel is the documented 404', async () => {
    const first = await get(`${RUNS}/exprun_queued/cancel`, undefined, 'POST');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      id: 'exprun_queued',
      lifecycle: { status: 'cancelled' },
      timing: { created_at: expect.any(String), started_at: null, completed_at: expect.any(String) },
    });
    const second = await get(`${RUNS}/exprun_queued/cancel`, undefined, 'POST');
    expect(second.status).toBe(404);
    expect((await second.json()).detail).toEqual(expect.any(String));
  });
});

describe('run(id) at Retab: answers in shapes the docs mention but the current route does not use', () => {
  const retabAt = (url: string) => ({ RETAB_API_KEY: 'rt_test_stub', RETAB_BASE_URL: url });
  // The older route renders a flat `status`; some deployments omit the content type. Both are
  // still a run, not an outage.
  it.each([
    ['a flat status (older route)', { 'content-type': 'application/json' }, { id: 'exprun_old', status: 'completed' }, 'RunSucceeded'],
    ['JSON with no content type', {}, { id: 'exprun_old', lifecycle: { status: 'error', message: 'boom' } }, 'RunFailed'],
  ])('reads %s', async (_what, headers, body, typename) => {
    await withStubProvider(() => ({ status: 200, headers, body: JSON.stringify(body) }), retabAt, async (g, stub) => {
      const res = await g.gql(READ_RUN, { id: 'retab:exprun_old' });
      expect(res.data.run).toMatchObject({ __typename: 'Run', lifecycle: { __typename: typename } });
      expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/workflows/experiments/runs/exprun_old']);
    });
  });

  it('a timestamp that is not a time reads as null, not as an error of the whole answer', async () => {
    const body = { id: 'exprun_old', lifecycle: { status: 'completed' }, timing: { created_at: 'yesterday-ish', started_at: 0, completed_at: '2026-05-18T10:00:04+00:00' } };
    await withStubProvider(() => ({ status: 200, body }), retabAt, async (g) => {
      const res = await g.gql(READ_RUN, { id: 'retab:exprun_old' });
      expect(res.errors).toBeUndefined();
      expect(res.data.run).toMatchObject({ createdAt: null, startedAt: null, finishedAt: '2026-05-18T10:00:04.000Z' });
    });
  });

  it('still refuses an HTML page declared as such, even with a 200', async () => {
    const html = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '{"id":"x","lifecycle":{"status":"completed"}}' });
    await withStubProvider(html, retabAt, async (g) =>
      expect((await g.gql(READ_RUN, { id: 'retab:exprun_old' })).data.run).toMatchObject({ __typename: 'ProviderUnavailableError', providerHttpStatus: 200 }),
    );
  });
});
