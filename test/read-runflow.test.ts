import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  RUNFLOW_SANDBOX_ADMIN_KEY,
  RUNFLOW_SANDBOX_INFERENCE_KEY,
  runflowSeeds,
  startRunflowSim,
} from '../src/sandbox/runflow.js';
import { READ_RUN, READ_RUNS, startGateway, type TestGateway } from './support/gateway.js';

const NOW = Date.parse('2026-05-23T10:00:00.000Z');
const CREATED = '2026-05-23T09:00:00.000Z';
const STARTED = '2026-05-23T09:01:00.000Z';
const FINISHED = '2026-05-23T09:02:00.000Z';

let sim: Awaited<ReturnType<typeof startRunflowSim>>;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startRunflowSim({ seeds: runflowSeeds(NOW) });
  gw = await startGateway({ RUNFLOW_ADMIN_KEY: RUNFLOW_SANDBOX_ADMIN_KEY, RUNFLOW_BASE_URL: sim.url });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});
beforeEach(() => sim.clearRequests());


const read = async (id: string, g: TestGateway = gw) => {
  const res = await g.gql(READ_RUN, { id });
  expect(res.errors).toBeUndefined();
  return res.data?.run;
};

describe('run(id) at Runflow: every status_code literal', () => {
  it.each([
    ['01J0-queued', { __typename: 'RunQueued', status: 'QUEUED', providerStatus: 'queued' }, { startedAt: null, finishedAt: null }],
    ['01J0-dispatching', { __typename: 'RunQueued', status: 'QUEUED', providerStatus: 'dispatching' }, { startedAt: null, finishedAt: null }],
    ['01J0-running', { __typename: 'RunRunning', status: 'RUNNING', providerStatus: 'running', startedAt: STARTED }, { finishedAt: null }],
    [
      '01J0-succeeded',
      { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'succeeded', partial: false, finishedAt: FINISHED },
      { finishedAt: FINISHED },
    ],
    [
      '01J0-partial',
      { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'partial_succeeded', partial: true, finishedAt: FINISHED },
      { finishedAt: FINISHED },
    ],
    [
      '01J0-failed',
      {
        __typename: 'RunFailed',
        status: 'FAILED',
        providerStatus: 'failed',
        finishedAt: FINISHED,
        failureCode: 'MODEL_TIMEOUT',
        failureMessage: 'The model did not answer within 120 s.',
      },
      { finishedAt: FINISHED },
    ],
    [
      '01J0-canceled',
      { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'canceled', finishedAt: FINISHED, reason: null },
      { finishedAt: FINISHED },
    ],
    [
      '01J0-cancelled',
      { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'cancelled', finishedAt: FINISHED, reason: null },
      { finishedAt: FINISHED },
    ],
  ])('%s -> its lifecycle member, the literal kept, +00:00 times answered in Z', async (runId, lifecycle, times) => {
    const run = await read(`runflow:${runId}`);
    expect(run).toMatchObject({
      __typename: 'Run',
      id: `runflow:${runId}`,
      provider: 'RUNFLOW',
      providerRunId: runId,
      createdAt: CREATED,
      ...times,
      lifecycle,
    });
    expect(sim.requests).toHaveLength(1);
    const [req] = sim.requests;
    expect(req).toMatchObject({ method: 'GET', path: `/v1/runs/${runId}`, body: '' });
    expect(req!.headers.authorization).toBe(`Bearer ${RUNFLOW_SANDBOX_ADMIN_KEY}`);
    // The simulator really speaks +00:00.
    expect(sim.runs.get(runId)!.created_at).toBe('2026-05-23T09:00:00.000+00:00');
  });

  it('reads a record in the SDK naming (finished_at, error{code,message}) like one in the docs naming', async () => {
    const direct = await fetch(`${sim.url}/v1/runs/01J0-sdk-failed`, { headers: { authorization: `Bearer ${RUNFLOW_SANDBOX_ADMIN_KEY}` } });
    const body = (await direct.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ finished_at: '2026-05-23T09:02:00.000+00:00', error: { code: 'INPUT_REJECTED' } });
    expect(body).not.toHaveProperty('completed_at');
    expect(body).not.toHaveProperty('failure_code');

    expect(await read('runflow:01J0-sdk-failed')).toMatchObject({
      __typename: 'Run',
      finishedAt: FINISHED,
      lifecycle: {
        __typename: 'RunFailed',
        status: 'FAILED',
        providerStatus: 'failed',
        finishedAt: FINISHED,
        failureCode: 'INPUT_REJECTED',
        failureMessage: 'The input image could not be decoded.',
      },
    });
  });

  it('reads with an inference key too: GET /v1/runs/{id} accepts rf_live_ keys', async () => {
    const gwInference = await startGateway({ RUNFLOW_ADMIN_KEY: RUNFLOW_SANDBOX_INFERENCE_KEY, RUNFLOW_BASE_URL: sim.url });
    try {
      expect(await read('runflow:01J0-running', gwInference)).toMatchObject({
        __typename: 'Run',
        lifecycle: { __typename: 'RunRunning', providerStatus: 'running' },
      });
      expect(sim.requests[0]!.headers.authorization).toBe(`Bearer ${RUNFLOW_SANDBOX_INFERENCE_KEY}`);
      expect(JSON.stringify(gwInference.logs)).not.toContain(RUNFLOW_SANDBOX_INFERENCE_KEY);
    } finally {
      await gwInference.close();
    }
  });
});

describe('run(id) at Runflow: failures', () => {
  it('answers RunNotFoundError for 404 RUN_NOT_FOUND', async () => {
    expect(await read('runflow:01J0-no-such-run')).toEqual({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      message: expect.stringContaining('01J0-no-such-run'),
      providerRunId: '01J0-no-such-run',
      providerHttpStatus: 404,
      providerCode: 'RUN_NOT_FOUND',
    });
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/runs/01J0-no-such-run']);
  });

  it('answers ProviderRateLimitedError for 429 RATE_LIMITED, with no retryAfterSeconds since Runflow sends no header', async () => {
    expect(await read('runflow:01J0-rate-limited')).toMatchObject({
      __typename: 'ProviderRateLimitedError',
      code: 'PROVIDER_RATE_LIMITED',
      providerHttpStatus: 429,
      providerCode: 'RATE_LIMITED',
      retryAfterSeconds: null,
    });
  });

  it.each([
    ['01J0-forbidden', 'ProviderForbiddenError', 403, 'PERMISSION_DENIED'],
    ['01J0-email-not-verified', 'ProviderForbiddenError', 403, 'EMAIL_NOT_VERIFIED'],
    ['01J0-unauthorized', 'ProviderAuthError', 401, 'UNAUTHORIZED'],
    ['01J0-unavailable', 'ProviderUnavailableError', 503, 'MODEL_UNAVAILABLE'],
  ])('answers %s with %s', async (runId, typename, status, providerCode) => {
    expect(await read(`runflow:${runId}`)).toMatchObject({ __typename: typename, providerHttpStatus: status, providerCode });
  });

  it('reads runs whose failures only the cancel produces (402, 409, 422)', async () => {
    for (const runId of ['01J0-payment-required', '01J0-conflict', '01J0-invalid']) {
      expect(await read(`runflow:${runId}`)).toMatchObject({ __typename: 'Run', lifecycle: { __typename: 'RunRunning' } });
    }
  });

  it.each([
    ['runflow:a%2Fb', '/v1/runs/a%2Fb', 'a/b'],
    ['runflow:x%3Fy%3D1', '/v1/runs/x%3Fy%3D1', 'x?y=1'],
    ['runflow:with%20space', '/v1/runs/with%20space', 'with space'],
  ])('percent-encodes %s into one path segment', async (id, path, providerRunId) => {
    expect(await read(id)).toMatchObject({ __typename: 'RunNotFoundError', providerRunId });
    expect(sim.requests.map((r) => r.path)).toEqual([path]);
  });

  it('refuses runflow:.. and runflow:. before any upstream call', async () => {
    expect(await read('runflow:..')).toMatchObject({ __typename: 'InvalidRunInputError' });
    expect(await read('runflow:.')).toMatchObject({ __typename: 'InvalidRunInputError' });
    expect(sim.requests).toEqual([]);
  });

  it('runs(ids) answers each id on its own, in order', async () => {
    const res = await gw.gql(READ_RUNS, { ids: ['runflow:01J0-partial', 'runflow:01J0-nope', 'runflow:01J0-cancelled', 'runflow:01J0-rate-limited'] });
    expect(res.errors).toBeUndefined();
    expect(res.data?.runs.map((r: { __typename: string }) => r.__typename)).toEqual([
      'Run',
      'RunNotFoundError',
      'Run',
      'ProviderRateLimitedError',
    ]);
    expect(res.data?.runs[0].lifecycle).toMatchObject({ __typename: 'RunSucceeded', partial: true });
    expect(res.data?.runs[2].lifecycle).toMatchObject({ __typename: 'RunCancelled', providerStatus: 'cancelled' });
    // One read per id; the 429 without rate-limit headers is retried with backoff (3 attempts in all).
    expect(sim.requests.map((r) => r.path).sort()).toEqual([
      '/v1/runs/01J0-cancelled',
      '/v1/runs/01J0-nope',
      '/v1/runs/01J0-partial',
      '/v1/runs/01J0-rate-limited',
      '/v1/runs/01J0-rate-limited',
      '/v1/runs/01J0-rate-limited',
    ]);
  });

  it('never puts the key in a response or a log line', async () => {
    const res = await gw.gql(READ_RUNS, { ids: ['runflow:01J0-unauthorized', 'runflow:01J0-forbidden', 'runflow:01J0-running'] });
    expect(JSON.stringify(res)).not.toContain(RUNFLOW_SANDBOX_ADMIN_KEY);
    expect(gw.logs.join('')).not.toContain(RUNFLOW_SANDBOX_ADMIN_KEY);
  });
});

describe('the Runflow simulator: list and auth as documented', () => {
  const get = (path: string, key?: string) =>
    fetch(`${sim.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('GET /v1/runs lists every run as {items: [...]}, with status_code and +00:00 times', async () => {
    const res = await get('/v1/runs', RUNFLOW_SANDBOX_ADMIN_KEY);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { items: Array<Record<string, unknown>> };
    expect(body.items.map((r) => r.id)).toEqual(runflowSeeds(NOW).map((r) => r.id));
    const literals = new Set(body.items.map((r) => r.status_code));
    for (const literal of ['queued', 'dispatching', 'running', 'succeeded', 'partial_succeeded', 'failed', 'canceled', 'cancelled']) {
      expect(literals).toContain(literal);
    }
    for (const r of body.items) expect(r.created_at).toMatch(/\+00:00$/);
  });

  it('GET /v1/runs and /v1/runs/{id} accept the inference key; no key or a wrong one gets the 401 envelope', async () => {
    expect((await get('/v1/runs', RUNFLOW_SANDBOX_INFERENCE_KEY)).status).toBe(200);
    expect((await get('/v1/runs/01J0-queued', RUNFLOW_SANDBOX_INFERENCE_KEY)).status).toBe(200);
    for (const key of [undefined, 'rf_live_wrong']) {
      const res = await get('/v1/runs/01J0-queued', key);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String), errors: null });
    }
  });

  it('the inference key gets 401, not 403, from the admin cancel', async () => {
    const res = await fetch(`${sim.url}/v1/admin/runs/01J0-running/cancellation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${RUNFLOW_SANDBOX_INFERENCE_KEY}` },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED', errors: null });
    expect(sim.runs.get('01J0-running')!.status_code).toBe('running');
  });

  it('paths are exact: no trailing slash, no GET on the cancellation', async () => {
    expect((await get('/v1/runs/01J0-queued/', RUNFLOW_SANDBOX_ADMIN_KEY)).status).toBe(404);
    expect((await get('/v1/admin/runs/01J0-queued/cancellation', RUNFLOW_SANDBOX_ADMIN_KEY)).status).toBe(404);
  });
});
