import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UpstreamResponse } from '../src/providers/http.js';
import { triggerStatuses } from '../src/providers/trigger-dev.js';
import { TRIGGER_SANDBOX_SECRET_KEY, startTriggerDevSim, triggerDevSeeds } from '../src/sandbox/trigger-dev.js';
import { READ_RUN, startGateway, type TestGateway } from './support/gateway.js';

let sim: Awaited<ReturnType<typeof startTriggerDevSim>>;
let gw: TestGateway;
const answers: { path: string; response: UpstreamResponse }[] = [];

beforeAll(async () => {
  sim = await startTriggerDevSim();
  gw = await startGateway(
    { TRIGGER_SECRET_KEY: TRIGGER_SANDBOX_SECRET_KEY, TRIGGER_BASE_URL: sim.url },
    { observer: ({ request, response }) => answers.push({ path: request.path, response }) },
  );
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});
beforeEach(() => {
  sim.clearRequests();
  answers.length = 0;
});


const read = async (runId: string) => {
  const res = await gw.gql(READ_RUN, { id: `trigger-dev:${runId}` });
  expect(res.errors).toBeUndefined();
  return res.data?.run;
};

/** Every seeded run with a readable status -> what the gateway shows (it pins x-trigger-api-version: 2025-07-16). */
const EXPECTED: [runId: string, member: string, status: string, providerStatus: string][] = [
  ['run_pending_version', 'RunPending', 'PENDING', 'PENDING_VERSION'],
  ['run_waiting_for_deploy', 'RunPending', 'PENDING', 'PENDING_VERSION'],
  ['run_delayed', 'RunPending', 'PENDING', 'DELAYED'],
  ['run_queued', 'RunQueued', 'QUEUED', 'QUEUED'],
  ['run_buffered', 'RunQueued', 'QUEUED', 'QUEUED'],
  ['run_dequeued', 'RunRunning', 'RUNNING', 'DEQUEUED'],
  ['run_executing', 'RunRunning', 'RUNNING', 'EXECUTING'],
  ['run_reattempting', 'RunRunning', 'RUNNING', 'EXECUTING'],
  ['run_waiting', 'RunRunning', 'RUNNING', 'WAITING'],
  ['run_slow_cancel', 'RunRunning', 'RUNNING', 'EXECUTING'],
  ['run_conflict', 'RunRunning', 'RUNNING', 'EXECUTING'],
  ['run_completed', 'RunSucceeded', 'SUCCEEDED', 'COMPLETED'],
  ['run_canceled', 'RunCancelled', 'CANCELLED', 'CANCELED'],
  ['run_failed', 'RunFailed', 'FAILED', 'FAILED'],
  ['run_interrupted', 'RunFailed', 'FAILED', 'FAILED'],
  ['run_crashed', 'RunFailed', 'FAILED', 'CRASHED'],
  ['run_system_failure', 'RunFailed', 'FAILED', 'SYSTEM_FAILURE'],
  ['run_expired', 'RunFailed', 'FAILED', 'EXPIRED'],
  ['run_timed_out', 'RunFailed', 'FAILED', 'TIMED_OUT'],
  // Served in the unversioned vocabulary whatever the header (an older self-hosted webapp).
  ['run_v1_waiting_for_deploy', 'RunPending', 'PENDING', 'WAITING_FOR_DEPLOY'],
  ['run_v1_reattempting', 'RunRunning', 'RUNNING', 'REATTEMPTING'],
  ['run_v1_frozen', 'RunRunning', 'RUNNING', 'FROZEN'],
  ['run_v1_interrupted', 'RunFailed', 'FAILED', 'INTERRUPTED'],
];

/** The union of Trigger.dev's three documented vocabularies (providers.md §5.3). */
const ALL_LITERALS = [
  'PENDING_VERSION', 'WAITING_FOR_DEPLOY', 'DELAYED', 'QUEUED', 'DEQUEUED', 'EXECUTING', 'REATTEMPTING', 'FROZEN', 'WAITING',
  'COMPLETED', 'CANCELED', 'FAILED', 'CRASHED', 'INTERRUPTED', 'SYSTEM_FAILURE', 'EXPIRED', 'TIMED_OUT',
];

describe('run(id) at Trigger.dev', () => {
  it.each(EXPECTED)('reads %s as %s %s (providerStatus %s)', async (runId, member, status, providerStatus) => {
    const run = await read(runId);
    expect(run).toMatchObject({
      __typename: 'Run',
      id: `trigger-dev:${runId}`,
      provider: 'TRIGGER_DEV',
      providerRunId: runId,
      lifecycle: { __typename: member, status, providerStatus },
    });
    expect(run.createdAt).toBe(sim.runs.get(runId)!.createdAt);
    expect(sim.requests).toHaveLength(1);
    const [get] = sim.requests;
    expect(get).toMatchObject({ method: 'GET', path: `/api/v3/runs/${runId}`, body: '' });
    expect(get!.headers.authorization).toBe(`Bearer ${TRIGGER_SANDBOX_SECRET_KEY}`);
    expect(get!.headers['x-trigger-api-version']).toBe('2025-07-16');
  });

  it('the seeds show every literal of the union, and the adapter maps each one to a known status', async () => {
    expect(new Set(EXPECTED.map(([, , , literal]) => literal))).toEqual(new Set(ALL_LITERALS));
    for (const literal of ALL_LITERALS) expect(triggerStatuses.normalize(literal), literal).not.toBe('UNKNOWN');
    // Every seeded run id that reads as a run is in the table above.
    const readable = triggerDevSeeds()
      .filter((r) => !['unauthorized', 'forbidden', 'rate-limited', 'invalid', 'internal-error', 'run-gone'].includes(r.scenario ?? ''))
      .map((r) => r.id);
    expect(new Set(readable)).toEqual(new Set(EXPECTED.map(([id]) => id)));
  });

  it('reads lifecycle details: startedAt, finishedAt, failure message and code', async () => {
    const seeds = sim.runs;
    expect((await read('run_executing')).lifecycle.startedAt).toBe(seeds.get('run_executing')!.startedAt);
    expect((await read('run_completed')).lifecycle).toMatchObject({ finishedAt: seeds.get('run_completed')!.finishedAt, partial: null });
    expect((await read('run_canceled')).lifecycle).toMatchObject({ finishedAt: seeds.get('run_canceled')!.finishedAt, reason: null });
    expect((await read('run_failed')).lifecycle).toMatchObject({
      finishedAt: seeds.get('run_failed')!.finishedAt,
      failureMessage: 'Upstream API answered 502 Bad Gateway',
      failureCode: 'Error',
    });
    expect((await read('run_timed_out')).lifecycle).toMatchObject({
      failureMessage: 'trigger.dev internal error (MAX_DURATION_EXCEEDED)',
      failureCode: 'MAX_DURATION_EXCEEDED',
    });
    expect((await read('run_interrupted')).lifecycle).toMatchObject({ failureMessage: null, failureCode: null });
  });

  it('reads many runs at once, one upstream read per id', async () => {
    const ids = EXPECTED.map(([id]) => `trigger-dev:${id}`);
    const res = await gw.gql(`query($ids: [ID!]!) { runs(ids: $ids) { __typename ... on Run { id lifecycle { __typename } } } }`, { ids });
    expect(res.errors).toBeUndefined();
    expect(res.data.runs).toEqual(EXPECTED.map(([id, member]) => ({ __typename: 'Run', id: `trigger-dev:${id}`, lifecycle: { __typename: member } })));
    expect(sim.requests.map((r) => r.path).sort()).toEqual(EXPECTED.map(([id]) => `/api/v3/runs/${id}`).sort());
  });

  it('answers RunNotFoundError for an unknown run (Trigger.dev answers 404 with x-should-retry: true)', async () => {
    expect(await read('run_no_such_run')).toMatchObject({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      providerRunId: 'run_no_such_run',
      providerHttpStatus: 404,
    });
    expect(answers[0]!.response).toMatchObject({ status: 404, json: { error: 'Resource not found' } });
    expect(answers[0]!.response.headers['x-should-retry']).toBe('true');
  });

  it.each([
    ['run_rate_limited', { __typename: 'ProviderRateLimitedError', code: 'PROVIDER_RATE_LIMITED', providerHttpStatus: 429 }],
    ['run_forbidden', { __typename: 'ProviderForbiddenError', code: 'PROVIDER_FORBIDDEN', providerHttpStatus: 403, providerCode: 'unauthorized' }],
    ['run_unauthorized', { __typename: 'ProviderAuthError', code: 'PROVIDER_AUTH', providerHttpStatus: 401 }],
    ['run_invalid', { __typename: 'InvalidRunInputError', code: 'INVALID_RUN_INPUT', providerHttpStatus: 400 }],
    ['run_server_error', { __typename: 'ProviderUnavailableError', code: 'PROVIDER_UNAVAILABLE', providerHttpStatus: 500 }],
  ])('answers the typed error for %s', async (runId, expected) => {
    const run = await read(runId);
    expect(run).toMatchObject({ ...expected });
    if (runId === 'run_rate_limited') {
      expect(run.retryAfterSeconds).toBeGreaterThan(27);
      expect(run.retryAfterSeconds).toBeLessThanOrEqual(30);
    }
    expect(JSON.stringify(run)).not.toContain(TRIGGER_SANDBOX_SECRET_KEY);
  });

  it('never logs the secret key', async () => {
    await read('run_unauthorized');
    await read('run_failed');
    expect(gw.logs.join('')).toContain('upstream request');
    expect(gw.logs.join('')).not.toContain(TRIGGER_SANDBOX_SECRET_KEY);
  });
});

describe('the Trigger.dev simulator', () => {
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(sim.url + path, { headers: { authorization: `Bearer ${TRIGGER_SANDBOX_SECRET_KEY}`, ...headers } });
    return { status: res.status, headers: Object.fromEntries(res.headers), json: (await res.json()) as any };
  };

  it.each([
    ['run_waiting_for_deploy', 'WAITING_FOR_DEPLOY', 'PENDING_VERSION'],
    ['run_queued', 'QUEUED', 'QUEUED'],
    ['run_dequeued', 'EXECUTING', 'DEQUEUED'],
    ['run_reattempting', 'REATTEMPTING', 'EXECUTING'],
    ['run_waiting', 'FROZEN', 'WAITING'],
    ['run_interrupted', 'INTERRUPTED', 'FAILED'],
    ['run_failed', 'FAILED', 'FAILED'],
    ['run_expired', 'EXPIRED', 'EXPIRED'],
    ['run_v1_frozen', 'FROZEN', 'FROZEN'],
  ])('answers %s as %s without x-trigger-api-version and %s with 2025-07-16', async (runId, unversioned, versioned) => {
    expect((await get(`/api/v3/runs/${runId}`)).json.status).toBe(unversioned);
    expect((await get(`/api/v3/runs/${runId}`, { 'x-trigger-api-version': '2025-07-16' })).json.status).toBe(versioned);
    // Any other version string is treated as no version.
    expect((await get(`/api/v3/runs/${runId}`, { 'x-trigger-api-version': '2024-04-01' })).json.status).toBe(unversioned);
  });

  it('answers the documented retrieve body: attempts [] with attemptCount, the is* helpers, a serialized error', async () => {
    const { status, headers, json } = await get('/api/v3/runs/run_failed', { 'x-trigger-api-version': '2025-07-16' });
    expect(status).toBe(200);
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(Number(headers['x-ratelimit-reset'])).toBeGreaterThan(1e12);
    expect(json).toMatchObject({
      id: 'run_failed',
      status: 'FAILED',
      taskIdentifier: 'sandbox-task',
      attempts: [],
      attemptCount: 3,
      isCompleted: true,
      isFailed: true,
      isSuccess: false,
      isCancelled: false,
      error: { name: 'Error', message: 'Upstream API answered 502 Bad Gateway', stackTrace: expect.stringContaining('Error:') },
    });
    // EXPIRED and TIMED_OUT are not in the server's isCompleted.
    expect((await get('/api/v3/runs/run_expired')).json).toMatchObject({ status: 'EXPIRED', isCompleted: false, isFailed: false });
    expect((await get('/api/v3/runs/run_canceled')).json).toMatchObject({ status: 'CANCELED', isCancelled: true, isCompleted: true });
  });

  it('lists runs as {data, pagination: {next, previous}} with cursor pages and a status filter', async () => {
    const first = await get('/api/v1/runs?page[size]=10');
    expect(first.status).toBe(200);
    expect(first.json.data).toHaveLength(10);
    expect(first.json.pagination.previous).toBeUndefined();
    expect(first.json.pagination.next).toBe(first.json.data[9].id);
    const second = await get(`/api/v1/runs?page[size]=10&page[after]=${first.json.pagination.next}`);
    expect(second.json.data[0].id).not.toBe(first.json.data[0].id);
    expect(second.json.pagination.previous).toBe(second.json.data[0].id);

    const canceled = await get('/api/v1/runs?filter[status]=CANCELED');
    expect(canceled.json.data.map((r: any) => r.id)).toEqual(['run_canceled']);
    const waiting = await get('/api/v1/runs?filter[status]=WAITING', { 'x-trigger-api-version': '2025-07-16' });
    expect(waiting.json.data.map((r: any) => r.id)).toEqual(['run_waiting']);
    const bad = await get('/api/v1/runs?filter[status]=RUNNING');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'Query Error', details: [{ message: 'Invalid status values: RUNNING' }] });
  });

  it('rejects a missing Authorization with problem+json and a wrong key with {"error": "Invalid or Missing API key"}', async () => {
    const none = await fetch(`${sim.url}/api/v3/runs/run_queued`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(await none.json()).toMatchObject({ title: 'Unauthorized', status: 401, error: 'No authorization header provided' });
    const wrong = await get('/api/v3/runs/run_queued', { authorization: 'Bearer tr_dev_wrong' });
    expect(wrong).toMatchObject({ status: 401, json: { error: 'Invalid or Missing API key' } });
  });

  it('cancel answers 200 {id} for a finished run and leaves it alone', async () => {
    const res = await fetch(`${sim.url}/api/v2/runs/run_completed/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TRIGGER_SANDBOX_SECRET_KEY}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'run_completed' });
    expect(sim.runs.get('run_completed')!.status).toBe('COMPLETED_SUCCESSFULLY');
    const notFound = await fetch(`${sim.url}/api/v2/runs/run_nope/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TRIGGER_SANDBOX_SECRET_KEY}` },
    });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: 'Resource not found' });
  });
});
