import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATAFRAMER_SANDBOX_KEY, startDataFramerSim } from '../src/sandbox/dataframer.js';
import { CANCEL_RUN, startGateway, withStubProvider, type TestGateway } from './support/gateway.js';

let sim: Awaited<ReturnType<typeof startDataFramerSim>>;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startDataFramerSim();
  gw = await startGateway({ DATAFRAMER_API_KEY: DATAFRAMER_SANDBOX_KEY, DATAFRAMER_BASE_URL: sim.url });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});
beforeEach(() => sim.clearRequests());

const cancel = async (runId: string) => (await gw.gql(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId } })).data?.cancelRun;

describe('cancelRun at DataFramer', () => {
  it('cancels a processing run: POST with trailing slash and bearer key, 204 with no body -> CANCELLED', async () => {
    const payload = await cancel('df-processing');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: {
        id: 'dataframer:df-processing',
        provider: 'DATAFRAMER',
        providerRunId: 'df-processing',
        lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'CANCELED' },
      },
    });
    const [first] = sim.requests;
    expect(first).toMatchObject({ method: 'POST', path: '/api/dataframer/runs/df-processing/cancel/', body: '' });
    expect(first!.headers.authorization).toBe(`Bearer ${DATAFRAMER_SANDBOX_KEY}`);
    // createdAt is not in a 204: asking for it costs one read, after the cancel.
    expect(payload.run.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/dataframer/runs/df-processing/cancel/',
      'GET /api/dataframer/runs/df-processing/',
    ]);
  });

  it('cancels a pending run', async () => {
    expect(await cancel('df-pending')).toMatchObject({ outcome: 'CANCELLED', run: { lifecycle: { status: 'CANCELLED' } } });
  });

  it('tells ALREADY_CANCELLED from the 400 "Cannot cancel job" by reading the run', async () => {
    const payload = await cancel('df-canceled');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'ALREADY_CANCELLED',
      run: { lifecycle: { __typename: 'RunCancelled', providerStatus: 'CANCELED' } },
    });
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/dataframer/runs/df-canceled/cancel/',
      'GET /api/dataframer/runs/df-canceled/',
    ]);
  });

  it.each([
    ['df-succeeded', 'RunSucceeded', 'SUCCEEDED'],
    ['df-failed', 'RunFailed', 'FAILED'],
  ])('answers RunNotCancellableError with the run for %s', async (runId, typename, status) => {
    const payload = await cancel(runId);
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      code: 'RUN_NOT_CANCELLABLE',
      providerHttpStatus: 400,
      run: { id: `dataframer:${runId}`, lifecycle: { __typename: typename, status, providerStatus: status } },
    });
    expect(payload.message).toContain(runId);
  });

  it('a second cancel of the same run reports ALREADY_CANCELLED', async () => {
    expect(await cancel('df-in-progress')).toMatchObject({ outcome: 'CANCELLED' });
    expect(await cancel('df-in-progress')).toMatchObject({ outcome: 'ALREADY_CANCELLED' });
  });

  it('maps 404 to RunNotFoundError', async () => {
    expect(await cancel('df-no-such-run')).toMatchObject({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      providerRunId: 'df-no-such-run',
      providerHttpStatus: 404,
    });
  });

  it.each([
    ['df-unauthorized', 'ProviderAuthError', 401],
    ['df-forbidden', 'ProviderForbiddenError', 403],
    ['df-invalid', 'InvalidRunInputError', 400],
    ['df-unavailable', 'ProviderUnavailableError', 500],
  ])('maps the upstream answer for %s to %s', async (runId, typename, status) => {
    expect(await cancel(runId)).toMatchObject({ __typename: typename, providerHttpStatus: status });
  });

  it('maps 429 to ProviderRateLimitedError with Retry-After', async () => {
    expect(await cancel('df-rate-limited')).toMatchObject({
      __typename: 'ProviderRateLimitedError',
      code: 'PROVIDER_RATE_LIMITED',
      retryAfterSeconds: 30,
    });
  });

  it('percent-encodes the run id into the path', async () => {
    await cancel('../../users/api-key/rotate');
    expect(sim.requests[0]!.path).toBe('/api/dataframer/runs/..%2F..%2Fusers%2Fapi-key%2Frotate/cancel/');
    // A dot segment is no run id: refused before any request, whatever a proxy would make of it.
    expect(await cancel('..')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(await cancel('.')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(sim.requests).toHaveLength(1);
  });

  it('never puts the API key in a response or a log line', async () => {
    const payload = await cancel('df-unauthorized');
    expect(JSON.stringify(payload)).not.toContain(DATAFRAMER_SANDBOX_KEY);
    expect(gw.logs.join('')).not.toContain(DATAFRAMER_SANDBOX_KEY);
    expect(gw.logs.join('')).toContain('upstream request');
  });
});

describe('credentials echoed back by a provider', () => {
  it('are redacted from every upstream answer before anything reads it', async () => {
    const { startSimulator } = await import('../src/sandbox/sim-server.js');
    const echo = await startSimulator('echo', (req) => ({
      status: 400,
      body: { error: `Invalid request with header ${req.headers.authorization}` },
    }));
    const other = await startGateway({ DATAFRAMER_API_KEY: 'sk_live_canary_secret_1234567890', DATAFRAMER_BASE_URL: echo.url });
    try {
      const payload = (await other.gql(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId: 'r1' } })).data?.cancelRun;
      expect(payload).toMatchObject({ __typename: 'InvalidRunInputError', providerHttpStatus: 400 });
      expect(payload.message).toContain('Bearer [REDACTED]');
      expect(JSON.stringify(payload)).not.toContain('canary_secret');
      expect(other.logs.join('')).not.toContain('canary_secret');
    } finally {
      await other.close();
      await echo.close();
    }
  });
});

describe('cancelRun at DataFramer: any 400 is judged by the run it names', () => {
  // The OpenAPI names this 400 "Job cannot be canceled (already completed/failed)" and its example
  // says "Cannot cancel job. ..."; other 400s are about the request. The read decides either way.
  const answer = (error: string, status: string | undefined) =>
    withStubProvider(
      (req) =>
        req.method === 'POST'
          ? { status: 400, body: { error } }
          : status
            ? { status: 200, body: { id: 'r1', status, created_at: '2026-11-01T00:00:00Z', completed_at: '2026-11-01T00:05:00Z' } }
            : { status: 404 },
      (url) => ({ DATAFRAMER_API_KEY: 'sk_live_stub', DATAFRAMER_BASE_URL: url }),
      async (g, stub) => {
        const payload = (await g.gql(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId: 'r1' } })).data.cancelRun;
        return { payload, calls: stub.requests.map((r) => `${r.method} ${r.path}`) };
      },
    );

  it.each([
    ['Job cannot be canceled (already completed/failed)', 'SUCCEEDED', { __typename: 'RunNotCancellableError', run: { lifecycle: { __typename: 'RunSucceeded' } } }],
    ['Job cannot be canceled (already completed/failed)', 'CANCELED', { __typename: 'CancelRunSuccess', outcome: 'ALREADY_CANCELLED' }],
    ["This run can't be cancelled", 'FAILED', { __typename: 'RunNotCancellableError', run: { lifecycle: { __typename: 'RunFailed' } } }],
    ['Cannot cancel job. Only PROCESSING or PENDING jobs can be canceled.', 'PROCESSING', { __typename: 'ProviderConflictError', providerHttpStatus: 400 }],
    ['Invalid run id', undefined, { __typename: 'InvalidRunInputError', providerHttpStatus: 400 }],
    ['Invalid run id', 'PROCESSING', { __typename: 'InvalidRunInputError', providerHttpStatus: 400 }],
  ])('400 %j with the run %s -> %o', async (error, status, expected) => {
    const { payload, calls } = await answer(error, status);
    expect(payload).toMatchObject(expected);
    expect(calls).toEqual(['POST /api/dataframer/runs/r1/cancel/', 'GET /api/dataframer/runs/r1/']);
  });
});

describe('the cancel log line', () => {
  it('stays well-formed JSON for any run id: a lone surrogate is logged as U+FFFD', async () => {
    expect(await cancel('bad\ud800id')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    const line = gw.logs.find((l) => l.includes('"msg":"cancelRun"') && l.includes('bad'))!;
    expect(line).not.toMatch(/\\ud[89ab][0-9a-f]{2}/i);
    expect(JSON.parse(line)).toMatchObject({ providerRunId: 'bad\ufffdid', error: 'INVALID_RUN_INPUT' });
  });
});
