// cancelRun at Retab, through real HTTP: the simulated Retab (src/sandbox/retab.ts) behind a real
// gateway, asserting both the GraphQL answer and what the gateway sent upstream.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RETAB_SANDBOX_KEY, retabSeeds, startRetabSim, type RetabRun } from '../src/sandbox/retab.js';
import { startSimulator, type SimHandler, type Simulator } from '../src/sandbox/sim-server.js';
import { CANCEL_RUN, startGateway, type TestGateway } from './support/gateway.js';

const NOW = Date.now();
const RUNS = '/v1/workflows/experiments/runs';
/** Extra runs with ids that need percent-encoding. */
const ODD_ID = 'exprun odd?id #1';
const SLASH_ID = 'exprun_a/b';

let sim: Awaited<ReturnType<typeof startRetabSim>>;
let gw: TestGateway;

function reseed(): void {
  sim.runs.clear();
  const seeds: RetabRun[] = [...retabSeeds(NOW), { ...retabSeeds(NOW).find((r) => r.id === 'exprun_running')!, id: ODD_ID }];
  seeds.push({ ...seeds.find((r) => r.id === 'exprun_running')!, id: SLASH_ID });
  for (const r of seeds) sim.runs.set(r.id, { ...r });
}

beforeAll(async () => {
  sim = await startRetabSim();
  gw = await startGateway({ RETAB_API_KEY: RETAB_SANDBOX_KEY, RETAB_BASE_URL: sim.url });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});
beforeEach(() => {
  reseed();
  sim.clearRequests();
});

async function cancel(runId: string, extra: Record<string, unknown> = {}) {
  const res = await gw.gql(CANCEL_RUN, { input: { provider: 'RETAB', runId, ...extra } });
  expect(res.errors).toBeUndefined();
  return res.data.cancelRun;
}
const calls = () => sim.requests.map((r) => `${r.method} ${r.path}`);

describe('cancelRun at Retab: the documented outcomes', () => {
  it('cancels a running run: POST .../cancel (no trailing slash, no body) with the bearer key -> CANCELLED', async () => {
    const seeded = sim.runs.get('exprun_running')!;
    const payload = await cancel('exprun_running');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: {
        id: 'retab:exprun_running',
        provider: 'RETAB',
        providerRunId: 'exprun_running',
        teamId: null,
        createdAt: seeded.created_at,
        startedAt: seeded.started_at,
        lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'cancelled', reason: null },
      },
    });
    // finishedAt comes from the cancel answer's timing.completed_at.
    expect(payload.run.finishedAt).toBe(sim.runs.get('exprun_running')!.completed_at);
    expect(payload.run.lifecycle.finishedAt).toBe(payload.run.finishedAt);
    // The answer carried lifecycle and timing: no read was needed for any field asked.
    expect(calls()).toEqual([`POST ${RUNS}/exprun_running/cancel`]);
    const [req] = sim.requests;
    expect(req!.headers.authorization).toBe(`Bearer ${RETAB_SANDBOX_KEY}`);
    expect(req!.headers.accept).toBe('application/json');
    expect(req!.headers['content-type']).toBeUndefined();
    expect(req!.headers['api-key']).toBeUndefined();
    expect(req!.body).toBe('');
    expect(sim.runs.get('exprun_running')!.status).toBe('cancelled');
  });

  it.each(['exprun_pending', 'exprun_queued'])('cancels %s (never started: startedAt null, still no read)', async (runId) => {
    const payload = await cancel(runId);
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: { id: `retab:${runId}`, startedAt: null, lifecycle: { __typename: 'RunCancelled', providerStatus: 'cancelled' } },
    });
    expect(calls()).toEqual([`POST ${RUNS}/${runId}/cancel`]);
  });

  it('does not forward a reason: the endpoint takes no body', async () => {
    const payload = await cancel('exprun_running', { reason: 'operator asked' });
    expect(payload).toMatchObject({ outcome: 'CANCELLED', run: { lifecycle: { reason: null } } });
    expect(sim.requests[0]!.body).toBe('');
    expect(sim.requests[0]!.headers['content-type']).toBeUndefined();
  });

  it('a 404 on an already-cancelled run: the follow-up GET tells ALREADY_CANCELLED, with the recorded reason', async () => {
    const payload = await cancel('exprun_cancelled');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'ALREADY_CANCELLED',
      run: {
        id: 'retab:exprun_cancelled',
        finishedAt: sim.runs.get('exprun_cancelled')!.completed_at,
        lifecycle: {
          __typename: 'RunCancelled',
          status: 'CANCELLED',
          providerStatus: 'cancelled',
          reason: 'Superseded by a newer run of the same experiment.',
        },
      },
    });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_cancelled/cancel`, `GET ${RUNS}/exprun_cancelled`]);
    expect(sim.requests[1]!.headers.authorization).toBe(`Bearer ${RETAB_SANDBOX_KEY}`);
    expect(sim.requests[1]!.method).toBe('GET');
  });

  it('a second cancel of the same run is ALREADY_CANCELLED (Retab answers the second with 404)', async () => {
    expect(await cancel('exprun_running')).toMatchObject({ outcome: 'CANCELLED' });
    sim.clearRequests();
    expect(await cancel('exprun_running')).toMatchObject({
      outcome: 'ALREADY_CANCELLED',
      run: { lifecycle: { __typename: 'RunCancelled', reason: null } },
    });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_running/cancel`, `GET ${RUNS}/exprun_running`]);
  });

  it('a 404 on a completed run: RunNotCancellableError carrying the run as read', async () => {
    const payload = await cancel('exprun_completed');
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      code: 'RUN_NOT_CANCELLABLE',
      providerHttpStatus: 404,
      run: {
        id: 'retab:exprun_completed',
        finishedAt: sim.runs.get('exprun_completed')!.completed_at,
        lifecycle: { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'completed', partial: null },
      },
    });
    expect(payload.message).toContain('exprun_completed');
    expect(payload.message).toContain('succeeded');
    expect(calls()).toEqual([`POST ${RUNS}/exprun_completed/cancel`, `GET ${RUNS}/exprun_completed`]);
  });

  it('a 404 on an errored run: RunNotCancellableError with the failure message and details.error_code', async () => {
    const payload = await cancel('exprun_error');
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      providerHttpStatus: 404,
      run: {
        id: 'retab:exprun_error',
        lifecycle: {
          __typename: 'RunFailed',
          status: 'FAILED',
          providerStatus: 'error',
          failureMessage: 'Extraction failed: the model output did not match the schema for 3 of 12 documents.',
          failureCode: 'SCHEMA_VALIDATION_FAILED',
        },
      },
    });
    // details.stack_trace stays upstream.
    expect(JSON.stringify(payload)).not.toContain('Traceback');
    expect(JSON.stringify(payload)).not.toContain('extract.py');
  });

  it('a 404 for a run that does not exist: the GET 404s too -> RunNotFoundError', async () => {
    const payload = await cancel('exprun_nope');
    expect(payload).toMatchObject({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      providerRunId: 'exprun_nope',
      providerHttpStatus: 404,
    });
    expect(payload.message).toContain('exprun_nope');
    expect(calls()).toEqual([`POST ${RUNS}/exprun_nope/cancel`, `GET ${RUNS}/exprun_nope`]);
  });
});

describe('cancelRun at Retab: the quirks', () => {
  it('a cancel that loses the race to completion (200, lifecycle completed) is RunNotCancellableError, without a read', async () => {
    const payload = await cancel('exprun_race_lost');
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      code: 'RUN_NOT_CANCELLABLE',
      providerHttpStatus: 200,
      run: {
        id: 'retab:exprun_race_lost',
        finishedAt: sim.runs.get('exprun_race_lost')!.completed_at,
        lifecycle: { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'completed' },
      },
    });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_race_lost/cancel`]);
    // The run stays completed: another cancel is the documented 404 for a finished run.
    sim.clearRequests();
    expect(await cancel('exprun_race_lost')).toMatchObject({ __typename: 'RunNotCancellableError', providerHttpStatus: 404 });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_race_lost/cancel`, `GET ${RUNS}/exprun_race_lost`]);
  });

  it('a cancel answered with lifecycle still running is CANCEL_REQUESTED; the run reads cancelled afterwards', async () => {
    const payload = await cancel('exprun_stopping');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCEL_REQUESTED',
      run: {
        id: 'retab:exprun_stopping',
        finishedAt: null,
        lifecycle: { __typename: 'RunRunning', status: 'RUNNING', providerStatus: 'running' },
      },
    });
    expect(payload.run.lifecycle.startedAt).toBe(sim.runs.get('exprun_stopping')!.started_at);
    expect(calls()).toEqual([`POST ${RUNS}/exprun_stopping/cancel`]);
    const read = await gw.gql(`{ run(id: "retab:exprun_stopping") { ... on Run { lifecycle { __typename ... on RunCancelled { providerStatus } } } } }`);
    expect(read.data.run.lifecycle).toEqual({ __typename: 'RunCancelled', providerStatus: 'cancelled' });
    expect(await cancel('exprun_stopping')).toMatchObject({ outcome: 'ALREADY_CANCELLED' });
  });

  it('a running run whose cancel 404s (read-after-write lag) is ProviderConflictError; a retry cancels it', async () => {
    const payload = await cancel('exprun_lagging');
    expect(payload).toMatchObject({
      __typename: 'ProviderConflictError',
      code: 'PROVIDER_CONFLICT',
      providerHttpStatus: 404,
      providerCode: null,
    });
    expect(payload.message).toMatch(/running/);
    expect(payload.message).toMatch(/retry/i);
    expect(calls()).toEqual([`POST ${RUNS}/exprun_lagging/cancel`, `GET ${RUNS}/exprun_lagging`]);
    expect(sim.runs.get('exprun_lagging')!.status).toBe('running');
    expect(await cancel('exprun_lagging')).toMatchObject({ __typename: 'CancelRunSuccess', outcome: 'CANCELLED' });
  });
});

describe('cancelRun at Retab: error answers in the {"detail": ...} envelope', () => {
  it('401 (detail a string) -> ProviderAuthError', async () => {
    const payload = await cancel('exprun_unauthorized');
    expect(payload).toMatchObject({ __typename: 'ProviderAuthError', code: 'PROVIDER_AUTH', providerHttpStatus: 401 });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_unauthorized/cancel`]);
  });

  it('403 (detail {code, message}) -> ProviderForbiddenError with the code', async () => {
    const payload = await cancel('exprun_forbidden');
    expect(payload).toMatchObject({
      __typename: 'ProviderForbiddenError',
      code: 'PROVIDER_FORBIDDEN',
      providerHttpStatus: 403,
      providerCode: 'PERMISSION_DENIED',
    });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_forbidden/cancel`]);
  });

  it('409 (detail {code, message}) -> ProviderConflictError with the code and the message', async () => {
    const payload = await cancel('exprun_conflict');
    expect(payload).toMatchObject({
      __typename: 'ProviderConflictError',
      code: 'PROVIDER_CONFLICT',
      providerHttpStatus: 409,
      providerCode: 'RUN_STATE_CONFLICT',
    });
    expect(payload.message).toContain('re-read it and retry');
    expect(calls()).toEqual([`POST ${RUNS}/exprun_conflict/cancel`]);
  });

  it('422 HTTPValidationError -> InvalidRunInputError naming runId, with the validation message', async () => {
    const payload = await cancel('exprun_invalid');
    expect(payload).toMatchObject({
      __typename: 'InvalidRunInputError',
      code: 'INVALID_RUN_INPUT',
      providerHttpStatus: 422,
      field: 'runId',
    });
    expect(payload.message).toContain('run_id: Value error, run_id does not identify an experiment run');
    expect(calls()).toEqual([`POST ${RUNS}/exprun_invalid/cancel`]);
  });

  it('429 -> ProviderRateLimitedError with Retry-After in seconds', async () => {
    const payload = await cancel('exprun_rate_limited');
    expect(payload).toMatchObject({
      __typename: 'ProviderRateLimitedError',
      code: 'PROVIDER_RATE_LIMITED',
      providerHttpStatus: 429,
      retryAfterSeconds: 12,
    });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_rate_limited/cancel`]);
  });

  it('503 -> ProviderUnavailableError, retryable', async () => {
    const payload = await cancel('exprun_unavailable');
    expect(payload).toMatchObject({
      __typename: 'ProviderUnavailableError',
      code: 'PROVIDER_UNAVAILABLE',
      providerHttpStatus: 503,
      retryable: true,
    });
  });

  it('a wrong key: Retab answers 401 -> ProviderAuthError, and neither key leaks', async () => {
    const wrongKey = 'rt_test_wrong_key_0000000000000000000000';
    const other = await startGateway({ RETAB_API_KEY: wrongKey, RETAB_BASE_URL: sim.url });
    try {
      const res = await other.gql(CANCEL_RUN, { input: { provider: 'RETAB', runId: 'exprun_running' } });
      expect(res.data.cancelRun).toMatchObject({ __typename: 'ProviderAuthError', providerHttpStatus: 401 });
      expect(sim.requests[0]!.headers.authorization).toBe(`Bearer ${wrongKey}`);
      expect(JSON.stringify(res)).not.toContain(wrongKey);
      expect(other.logs.join('')).not.toContain(wrongKey);
      expect(sim.runs.get('exprun_running')!.status).toBe('running');
    } finally {
      await other.close();
    }
  });
});

describe('cancelRun at Retab: run ids in paths', () => {
  it('percent-encodes spaces, ? and # so the id stays one path segment', async () => {
    const payload = await cancel(ODD_ID);
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: { id: 'retab:exprun%20odd%3Fid%20%231', providerRunId: ODD_ID },
    });
    expect(calls()).toEqual([`POST ${RUNS}/exprun%20odd%3Fid%20%231/cancel`]);
    expect(sim.runs.get(ODD_ID)!.status).toBe('cancelled');
  });

  it('refuses .. and . before any upstream call, so no proxy can resolve them out of the runs collection', async () => {
    expect(await cancel('..')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(await cancel('.')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(calls()).toEqual([]);
  });

  it('encodes / so an id cannot address another run (Retab cannot route such an id: not found)', async () => {
    const payload = await cancel('exprun_x/../exprun_running');
    expect(payload).toMatchObject({ __typename: 'RunNotFoundError', providerRunId: 'exprun_x/../exprun_running' });
    expect(calls()).toEqual([
      `POST ${RUNS}/exprun_x%2F..%2Fexprun_running/cancel`,
      `GET ${RUNS}/exprun_x%2F..%2Fexprun_running`,
    ]);
    expect(sim.runs.get('exprun_running')!.status).toBe('running');
  });

  it('an id ending in /cancel: its GET lands on the cancel route (405); still RunNotFoundError, nothing cancelled', async () => {
    const payload = await cancel('exprun_running/cancel');
    expect(payload).toMatchObject({ __typename: 'RunNotFoundError', providerRunId: 'exprun_running/cancel' });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_running%2Fcancel/cancel`, `GET ${RUNS}/exprun_running%2Fcancel`]);
    expect(sim.runs.get('exprun_running')!.status).toBe('running');
  });

  it('a seeded id with / is unreachable at Retab (Starlette decodes %2F before routing): RunNotFoundError', async () => {
    expect(await cancel(SLASH_ID)).toMatchObject({ __typename: 'RunNotFoundError', providerRunId: SLASH_ID });
    expect(calls()).toEqual([`POST ${RUNS}/exprun_a%2Fb/cancel`, `GET ${RUNS}/exprun_a%2Fb`]);
    expect(sim.runs.get(SLASH_ID)!.status).toBe('running');
  });
});

describe('cancelRun at Retab: credentials', () => {
  it('never puts the API key in a response or a log line', async () => {
    const answers = [];
    for (const id of ['exprun_unauthorized', 'exprun_forbidden', 'exprun_invalid', 'exprun_running', 'exprun_nope']) answers.push(await cancel(id));
    expect(JSON.stringify(answers)).not.toContain(RETAB_SANDBOX_KEY);
    expect(gw.logs.join('')).not.toContain(RETAB_SANDBOX_KEY);
    expect(gw.logs.join('')).toContain('upstream request');
  });
});

// Answers the documented schema allows but the simulator does not produce on its own.
describe('cancelRun at Retab: answers at the edge of the schema', () => {
  let stub: Simulator;
  let stubGw: TestGateway;
  let handler: SimHandler;
  beforeAll(async () => {
    stub = await startSimulator('retab-stub', (req) => handler(req));
    stubGw = await startGateway({ RETAB_API_KEY: RETAB_SANDBOX_KEY, RETAB_BASE_URL: stub.url });
  });
  afterAll(async () => {
    await stubGw?.close();
    await stub?.close();
  });
  beforeEach(() => stub.clearRequests());
  const stubCancel = async (runId = 'exprun_1') =>
    (await stubGw.gql(CANCEL_RUN, { input: { provider: 'RETAB', runId } })).data.cancelRun;
  const stubCalls = () => stub.requests.map((r) => `${r.method} ${r.path}`);
  const full = (lifecycle: object) => ({
    id: 'exprun_1',
    lifecycle,
    timing: { created_at: '2026-05-18T10:00:00Z', started_at: '2026-05-18T10:00:01Z', completed_at: null, duration_ms: null },
  });

  it('a cancel that loses the race to a failure (200, lifecycle error) is RunNotCancellableError with the failure', async () => {
    handler = () => ({
      status: 200,
      body: {
        id: 'exprun_1',
        lifecycle: { status: 'error', message: 'Worker crashed', details: { error_code: 'WORKER_LOST', message: 'lost' } },
        timing: { created_at: '2026-05-18T10:00:00Z', started_at: '2026-05-18T10:00:01Z', completed_at: '2026-05-18T10:00:04Z' },
      },
    });
    expect(await stubCancel()).toMatchObject({
      __typename: 'RunNotCancellableError',
      providerHttpStatus: 200,
      run: {
        finishedAt: '2026-05-18T10:00:04.000Z',
        lifecycle: { __typename: 'RunFailed', providerStatus: 'error', failureMessage: 'Worker crashed', failureCode: 'WORKER_LOST' },
      },
    });
    expect(stubCalls()).toEqual([`POST ${RUNS}/exprun_1/cancel`]);
  });

  it('a 200 without timing (only id and lifecycle are required): CANCELLED, the details come from one read', async () => {
    handler = (req) =>
      req.method === 'POST'
        ? { status: 200, body: { id: 'exprun_1', lifecycle: { status: 'cancelled', reason: 'Cancelled via API' } } }
        : { status: 200, body: full({ status: 'cancelled', reason: 'Cancelled via API' }) };
    expect(await stubCancel()).toMatchObject({
      outcome: 'CANCELLED',
      run: { createdAt: '2026-05-18T10:00:00.000Z', lifecycle: { __typename: 'RunCancelled', reason: 'Cancelled via API' } },
    });
    expect(stubCalls()).toEqual([`POST ${RUNS}/exprun_1/cancel`, `GET ${RUNS}/exprun_1`]);
  });

  it('a 200 whose body has no lifecycle is ProviderUnavailableError, not a guess', async () => {
    handler = () => ({ status: 200, body: { id: 'exprun_1' } });
    expect(await stubCancel()).toMatchObject({ __typename: 'ProviderUnavailableError', providerHttpStatus: 200, retryable: false });
  });

  it('a 502 with an HTML body is ProviderUnavailableError, retryable, with no HTML in the message', async () => {
    handler = () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad gateway</body></html>' });
    const payload = await stubCancel();
    expect(payload).toMatchObject({ __typename: 'ProviderUnavailableError', providerHttpStatus: 502, retryable: true });
    expect(payload.message).not.toContain('<');
  });

  it('a 409 whose detail is a plain string keeps the message', async () => {
    handler = () => ({ status: 409, body: { detail: 'Run is being modified by another request' } });
    const payload = await stubCancel();
    expect(payload).toMatchObject({ __typename: 'ProviderConflictError', providerHttpStatus: 409, providerCode: null });
    expect(payload.message).toContain('Run is being modified by another request');
  });

  it('a 429 without Retry-After: retryAfterSeconds is null', async () => {
    handler = () => ({ status: 429, body: { detail: 'Too many requests' } });
    expect(await stubCancel()).toMatchObject({ __typename: 'ProviderRateLimitedError', retryAfterSeconds: null });
  });

  it('a 422 about something other than the run id does not blame runId', async () => {
    handler = () => ({ status: 422, body: { detail: [{ loc: ['header', 'authorization'], msg: 'Field required', type: 'missing' }] } });
    const payload = await stubCancel();
    expect(payload).toMatchObject({ __typename: 'InvalidRunInputError', providerHttpStatus: 422, field: null });
    expect(payload.message).toContain('authorization: Field required');
  });

  it('a 404 then a GET that says queued is ProviderConflictError (not cancellable yet it is in flight)', async () => {
    handler = (req) => (req.method === 'POST' ? { status: 404, body: { detail: 'Not Found' } } : { status: 200, body: full({ status: 'queued' }) });
    const payload = await stubCancel();
    expect(payload).toMatchObject({ __typename: 'ProviderConflictError', providerHttpStatus: 404 });
    expect(payload.message).toContain('queued');
  });

  it('a 404 then a GET that is rate limited surfaces the rate limit', async () => {
    handler = (req) =>
      req.method === 'POST' ? { status: 404, body: { detail: 'Not Found' } } : { status: 429, headers: { 'retry-after': '3' }, body: { detail: 'slow down' } };
    expect(await stubCancel()).toMatchObject({ __typename: 'ProviderRateLimitedError', providerHttpStatus: 429, retryAfterSeconds: 3 });
  });
});
