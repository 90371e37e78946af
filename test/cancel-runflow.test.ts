import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  RUNFLOW_SANDBOX_ADMIN_KEY,
  RUNFLOW_SANDBOX_INFERENCE_KEY,
  runflowSeeds,
  startRunflowSim,
  type RunflowRun,
} from '../src/sandbox/runflow.js';
import { startSimulator, type Simulator } from '../src/sandbox/sim-server.js';
import { CANCEL_RUN, startGateway, withStubProvider, type TestGateway } from './support/gateway.js';

const NOW = Date.parse('2026-05-23T10:00:00.000Z');
const ODD_ID = '01J0 odd/id?x=1';
const extra: RunflowRun[] = [
  // Runs only the tests that cancel them touch, so test order does not matter.
  ...['01J0-queued-a', '01J0-running-a', '01J0-running-b', '01J0-running-c', ODD_ID].map((id) => ({
    id,
    status_code: id.includes('queued') ? 'queued' : 'running',
    model: 'runflow/background-removal',
    created_at: '2026-05-23T09:00:00.000+00:00',
    started_at: id.includes('queued') ? null : '2026-05-23T09:01:00.000+00:00',
    finished_at: null,
    failure_code: null,
    failure_message: null,
  })),
];

let sim: Awaited<ReturnType<typeof startRunflowSim>>;
let gw: TestGateway;
let gwInference: TestGateway;
let gwWrongKey: TestGateway;

beforeAll(async () => {
  sim = await startRunflowSim({ seeds: [...runflowSeeds(NOW), ...extra] });
  gw = await startGateway({ RUNFLOW_ADMIN_KEY: RUNFLOW_SANDBOX_ADMIN_KEY, RUNFLOW_BASE_URL: sim.url });
  // An operator who pasted an inference key where the admin key belongs.
  gwInference = await startGateway({ RUNFLOW_ADMIN_KEY: RUNFLOW_SANDBOX_INFERENCE_KEY, RUNFLOW_BASE_URL: sim.url });
  gwWrongKey = await startGateway({ RUNFLOW_ADMIN_KEY: 'rf_svc_not_a_key_runflow_knows', RUNFLOW_BASE_URL: sim.url });
});
afterAll(async () => {
  await gw?.close();
  await gwInference?.close();
  await gwWrongKey?.close();
  await sim?.close();
});
beforeEach(() => sim.clearRequests());

const cancelWith = async (g: TestGateway, runId: string, reason?: string | null) =>
  (await g.gql(CANCEL_RUN, { input: { provider: 'RUNFLOW', runId, ...(reason !== undefined ? { reason } : {}) } })).data?.cancelRun;
const cancel = (runId: string, reason?: string | null) => cancelWith(gw, runId, reason);

/** CANCEL_RUN plus providerCode on the error types whose CANCEL_RUN selection lacks it. */
const CANCEL_WITH_CODES = /* GraphQL */ `
  mutation Cancel($input: CancelRunInput!) {
    cancelRun(input: $input) {
      __typename
      ... on GatewayError { message code }
      ... on RunNotFoundError { providerRunId providerHttpStatus providerCode }
      ... on ProviderRateLimitedError { providerHttpStatus providerCode retryAfterSeconds }
      ... on ProviderUnavailableError { providerHttpStatus providerCode retryable }
      ... on RunNotCancellableError { providerHttpStatus providerCode }
    }
  }
`;
const cancelCodes = async (runId: string) =>
  (await gw.gql(CANCEL_WITH_CODES, { input: { provider: 'RUNFLOW', runId } })).data?.cancelRun;

const adminAuth = `Bearer ${RUNFLOW_SANDBOX_ADMIN_KEY}`;
const z = (rf: string) => new Date(Date.parse(rf)).toISOString();

describe('cancelRun at Runflow: the admin cancellation endpoint', () => {
  it('cancels a queued run with no reason: POST, no body, admin bearer; 201 + Run -> CANCELLED', async () => {
    const payload = await cancel('01J0-queued');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: {
        id: 'runflow:01J0-queued',
        provider: 'RUNFLOW',
        providerRunId: '01J0-queued',
        lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'canceled', reason: null },
      },
    });
    // The 201 body is the full Run: no read follows.
    expect(sim.requests).toHaveLength(1);
    const [req] = sim.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/admin/runs/01J0-queued/cancellation', body: '' });
    expect(req!.headers.authorization).toBe(adminAuth);
    expect(req!.headers['content-type']).toBeUndefined();
    // Runflow writes +00:00 offsets; the gateway answers in Z.
    const stored = sim.runs.get('01J0-queued')!;
    expect(stored.status_code).toBe('canceled');
    expect(stored.finished_at).toMatch(/\+00:00$/);
    expect(payload.run.lifecycle.finishedAt).toBe(z(stored.finished_at!));
    expect(payload.run.finishedAt).toBe(z(stored.finished_at!));
    expect(payload.run.createdAt).toBe('2026-05-23T09:00:00.000Z');
    expect(sim.audit.filter((a) => a.run_id === '01J0-queued')).toEqual([
      expect.objectContaining({ action: 'run.cancelled', meta: { reason: null } }),
    ]);
  });

  it('sends the reason as the JSON body with content-type application/json and reports it on RunCancelled', async () => {
    const reason = 'customer ticket #4821 - duplicate submission';
    const payload = await cancel('01J0-running', reason);
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: { lifecycle: { __typename: 'RunCancelled', providerStatus: 'canceled', reason } },
    });
    const [req] = sim.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/admin/runs/01J0-running/cancellation' });
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual({ reason });
    expect(sim.audit.find((a) => a.run_id === '01J0-running')?.meta.reason).toBe(reason);
  });

  it('sends no body for reason: null', async () => {
    expect(await cancel('01J0-queued-a', null)).toMatchObject({ outcome: 'CANCELLED' });
    expect(sim.requests[0]).toMatchObject({ path: '/v1/admin/runs/01J0-queued-a/cancellation', body: '' });
    expect(sim.requests[0]!.headers['content-type']).toBeUndefined();
  });

  it('cancels a dispatching run; a second cancel gets 200 + the unchanged run -> ALREADY_CANCELLED, no new audit entry', async () => {
    expect(await cancel('01J0-dispatching', 'stuck in dispatch')).toMatchObject({
      outcome: 'CANCELLED',
      run: { lifecycle: { __typename: 'RunCancelled', reason: 'stuck in dispatch' } },
    });
    const first = sim.runs.get('01J0-dispatching')!.finished_at;
    const again = await cancel('01J0-dispatching');
    expect(again).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'ALREADY_CANCELLED',
      run: { id: 'runflow:01J0-dispatching', lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'canceled' } },
    });
    expect(again.run.lifecycle.finishedAt).toBe(z(first!));
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/admin/runs/01J0-dispatching/cancellation',
      'POST /v1/admin/runs/01J0-dispatching/cancellation',
    ]);
    expect(sim.audit.filter((a) => a.run_id === '01J0-dispatching')).toHaveLength(1);
  });

  it.each([
    ['01J0-canceled', 'canceled'],
    ['01J0-cancelled', 'cancelled'],
  ])('answers ALREADY_CANCELLED for %s (either spelling of the run record)', async (runId, literal) => {
    expect(await cancel(runId)).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'ALREADY_CANCELLED',
      run: {
        id: `runflow:${runId}`,
        finishedAt: '2026-05-23T09:02:00.000Z',
        lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: literal, finishedAt: '2026-05-23T09:02:00.000Z' },
      },
    });
    expect(sim.requests).toHaveLength(1);
    expect(sim.audit.some((a) => a.run_id === runId)).toBe(false);
  });

  it.each([
    ['01J0-succeeded', { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'succeeded', partial: false }],
    ['01J0-partial', { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'partial_succeeded', partial: true }],
    [
      '01J0-failed',
      {
        __typename: 'RunFailed',
        status: 'FAILED',
        providerStatus: 'failed',
        failureCode: 'MODEL_TIMEOUT',
        failureMessage: 'The model did not answer within 120 s.',
        finishedAt: '2026-05-23T09:02:00.000Z',
      },
    ],
    [
      '01J0-sdk-failed',
      {
        __typename: 'RunFailed',
        status: 'FAILED',
        providerStatus: 'failed',
        failureCode: 'INPUT_REJECTED',
        failureMessage: 'The input image could not be decoded.',
        finishedAt: '2026-05-23T09:02:00.000Z',
      },
    ],
  ])('answers RunNotCancellableError carrying the run with its real status for %s (200 + unchanged run)', async (runId, lifecycle) => {
    const payload = await cancel(runId);
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      code: 'RUN_NOT_CANCELLABLE',
      providerHttpStatus: 200,
      run: { id: `runflow:${runId}`, providerRunId: runId, lifecycle },
    });
    expect(payload.message).toContain(runId);
    expect(payload.message).toContain(lifecycle.status.toLowerCase());
    expect(sim.requests).toHaveLength(1);
    expect(sim.runs.get(runId)!.status_code).toBe(lifecycle.providerStatus);
  });

  it('refuses an inference key with 401: ProviderAuthError telling the operator an rf_svc_ admin key is needed', async () => {
    const payload = await cancelWith(gwInference, '01J0-running-a');
    expect(payload).toMatchObject({
      __typename: 'ProviderAuthError',
      code: 'PROVIDER_AUTH',
      providerHttpStatus: 401,
      providerCode: 'UNAUTHORIZED',
    });
    expect(payload.message).toContain('rf_svc_');
    expect(payload.message).toContain('RUNFLOW_ADMIN_KEY');
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/v1/admin/runs/01J0-running-a/cancellation' });
    expect(sim.requests[0]!.headers.authorization).toBe(`Bearer ${RUNFLOW_SANDBOX_INFERENCE_KEY}`);
    expect(sim.runs.get('01J0-running-a')!.status_code).toBe('running');
  });

  it('refuses an unknown key with 401 -> ProviderAuthError', async () => {
    expect(await cancelWith(gwWrongKey, '01J0-running-a')).toMatchObject({
      __typename: 'ProviderAuthError',
      providerHttpStatus: 401,
      providerCode: 'UNAUTHORIZED',
    });
    expect(sim.runs.get('01J0-running-a')!.status_code).toBe('running');
  });

  it('simulator: a missing key gets 401 with the documented envelope', async () => {
    const res = await fetch(`${sim.url}/v1/admin/runs/01J0-running-a/cancellation`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String), errors: null });
  });

  it('maps 404 RUN_NOT_FOUND to RunNotFoundError', async () => {
    expect(await cancelCodes('01J0-no-such-run')).toMatchObject({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      providerRunId: '01J0-no-such-run',
      providerHttpStatus: 404,
      providerCode: 'RUN_NOT_FOUND',
    });
  });

  it.each([
    ['01J0-unauthorized', 'ProviderAuthError', 401, 'UNAUTHORIZED'],
    ['01J0-forbidden', 'ProviderForbiddenError', 403, 'PERMISSION_DENIED'],
    ['01J0-email-not-verified', 'ProviderForbiddenError', 403, 'EMAIL_NOT_VERIFIED'],
    ['01J0-payment-required', 'ProviderPaymentRequiredError', 402, 'INSUFFICIENT_CREDIT'],
    ['01J0-conflict', 'ProviderConflictError', 409, 'CONFLICT/self_action_forbidden'],
  ])('maps %s to %s with the provider code', async (runId, typename, status, providerCode) => {
    const payload = await cancel(runId);
    expect(payload).toMatchObject({ __typename: typename, providerHttpStatus: status, providerCode });
    expect(sim.requests).toHaveLength(1);
  });

  it('says which 403 code it was in the message', async () => {
    expect((await cancel('01J0-email-not-verified')).message).toContain('EMAIL_NOT_VERIFIED');
    expect((await cancel('01J0-forbidden')).message).toContain('PERMISSION_DENIED');
  });

  it('maps 409 with errors[0].type self_action_forbidden to ProviderConflictError', async () => {
    const payload = await cancel('01J0-conflict');
    expect(payload).toMatchObject({ __typename: 'ProviderConflictError', code: 'PROVIDER_CONFLICT' });
    expect(payload.providerCode).toContain('self_action_forbidden');
    expect(sim.runs.get('01J0-conflict')!.status_code).toBe('running');
  });

  it('maps 429 RATE_LIMITED without rate-limit headers to ProviderRateLimitedError with retryAfterSeconds null', async () => {
    const direct = await fetch(`${sim.url}/v1/admin/runs/01J0-rate-limited/cancellation`, {
      method: 'POST',
      headers: { authorization: adminAuth },
    });
    expect(direct.status).toBe(429);
    for (const h of ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) expect(direct.headers.get(h)).toBeNull();
    expect(await direct.json()).toMatchObject({ code: 'RATE_LIMITED', errors: null });

    expect(await cancelCodes('01J0-rate-limited')).toMatchObject({
      __typename: 'ProviderRateLimitedError',
      code: 'PROVIDER_RATE_LIMITED',
      providerHttpStatus: 429,
      providerCode: 'RATE_LIMITED',
      retryAfterSeconds: null,
    });
  });

  it('maps 503 MODEL_UNAVAILABLE to a retryable ProviderUnavailableError', async () => {
    expect(await cancelCodes('01J0-unavailable')).toMatchObject({
      __typename: 'ProviderUnavailableError',
      code: 'PROVIDER_UNAVAILABLE',
      providerHttpStatus: 503,
      providerCode: 'MODEL_UNAVAILABLE',
      retryable: true,
    });
  });

  it('maps a provider 422 to InvalidRunInputError on field reason', async () => {
    const payload = await cancel('01J0-invalid', 'a perfectly fine reason');
    expect(payload).toMatchObject({
      __typename: 'InvalidRunInputError',
      code: 'INVALID_RUN_INPUT',
      field: 'reason',
      providerHttpStatus: 422,
      providerCode: 'VALIDATION_ERROR/value_error',
    });
    expect(payload.message).toContain('reason failed validation');
    expect(sim.requests).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['under 3 characters', 'ab'],
    ['all whitespace', '     '],
    ['under 3 characters once trimmed', '  ab  '],
    ['tabs and newlines only', '\t\n \t'],
    ['over 500 characters', 'x'.repeat(501)],
    ['over the gateway-wide 2000', 'x'.repeat(2001)],
  ])('rejects a reason that is %s before any upstream call', async (_what, reason) => {
    const payload = await cancel('01J0-running-b', reason);
    expect(payload).toMatchObject({
      __typename: 'InvalidRunInputError',
      code: 'INVALID_RUN_INPUT',
      field: 'reason',
      providerHttpStatus: null,
    });
    expect(sim.requests).toHaveLength(0);
    expect(sim.runs.get('01J0-running-b')!.status_code).toBe('running');
  });

  it.each([
    ['exactly 3 characters', 'abc'],
    ['exactly 500 characters', 'y'.repeat(500)],
    ['500 emoji (500 characters, 1000 UTF-16 units)', '🛑'.repeat(500)],
  ])('forwards a reason of %s', async (_what, reason) => {
    // An unknown id: the reason reaches Runflow, which validates it and then finds no run.
    expect(await cancel('01J0-no-such-run', reason)).toMatchObject({ __typename: 'RunNotFoundError' });
    expect(sim.requests).toHaveLength(1);
    expect(JSON.parse(sim.requests[0]!.body)).toEqual({ reason });
  });

  it('simulator: Runflow itself answers 422 for a reason under 3 characters', async () => {
    const res = await fetch(`${sim.url}/v1/admin/runs/01J0-running-b/cancellation`, {
      method: 'POST',
      headers: { authorization: adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: ' a ' }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ type: 'string_too_short', field: 'reason' }] });
    expect(sim.runs.get('01J0-running-b')!.status_code).toBe('running');
  });

  it.each([
    ['a/b', '/v1/admin/runs/a%2Fb/cancellation'],
    ['../../v1/runs', '/v1/admin/runs/..%2F..%2Fv1%2Fruns/cancellation'],
    ['x?reason=1', '/v1/admin/runs/x%3Freason%3D1/cancellation'],
    ['with space', '/v1/admin/runs/with%20space/cancellation'],
    ['hash#frag', '/v1/admin/runs/hash%23frag/cancellation'],
  ])('percent-encodes the run id %j into one path segment', async (runId, path) => {
    expect(await cancel(runId)).toMatchObject({ __typename: 'RunNotFoundError', providerRunId: runId, providerHttpStatus: 404 });
    expect(sim.requests.map((r) => r.path)).toEqual([path]);
  });

  it.each(['..', '.'])('refuses the dot segment %j before any upstream call', async (runId) => {
    expect(await cancel(runId)).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(sim.requests).toEqual([]);
  });

  it('round-trips an id with reserved characters through the cancel and the global id', async () => {
    const payload = await cancel(ODD_ID);
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: { id: `runflow:${encodeURIComponent(ODD_ID)}`, providerRunId: ODD_ID },
    });
    expect(sim.requests[0]!.path).toBe('/v1/admin/runs/01J0%20odd%2Fid%3Fx%3D1/cancellation');
    const read = await gw.gql(`query ($id: ID!) { run(id: $id) { __typename ... on Run { providerRunId lifecycle { __typename } } } }`, {
      id: payload.run.id,
    });
    expect(read.data?.run).toEqual({ __typename: 'Run', providerRunId: ODD_ID, lifecycle: { __typename: 'RunCancelled' } });
    expect(sim.requests[1]).toMatchObject({ method: 'GET', path: '/v1/runs/01J0%20odd%2Fid%3Fx%3D1' });
  });

  it('keeps the reason in the audit log only: a later read of the run shows no reason', async () => {
    expect(await cancel('01J0-running-c', 'abuse report #77')).toMatchObject({
      run: { lifecycle: { __typename: 'RunCancelled', reason: 'abuse report #77' } },
    });
    const read = await gw.gql(`{ run(id: "runflow:01J0-running-c") { ... on Run { lifecycle { __typename ... on RunCancelled { providerStatus reason } } } } }`);
    expect(read.data?.run.lifecycle).toEqual({ __typename: 'RunCancelled', providerStatus: 'canceled', reason: null });
  });

  it('never puts a key in a response or a log line', async () => {
    const payloads = [
      await cancel('01J0-unauthorized'),
      await cancel('01J0-invalid', 'some reason'),
      await cancel('01J0-conflict'),
      await cancelWith(gwInference, '01J0-running-a'),
      await cancelWith(gwWrongKey, '01J0-running-a'),
    ];
    const text = JSON.stringify(payloads) + gw.logs.join('') + gwInference.logs.join('') + gwWrongKey.logs.join('');
    for (const key of [RUNFLOW_SANDBOX_ADMIN_KEY, RUNFLOW_SANDBOX_INFERENCE_KEY, 'rf_svc_not_a_key_runflow_knows']) {
      expect(text).not.toContain(key);
    }
    expect(gw.logs.join('')).toContain('upstream request');
  });
});

describe('cancelRun at Runflow: answers the docs do not promise', () => {
  let odd: Simulator;
  let gwOdd: TestGateway;
  let answer: { status: number; body?: unknown; headers?: Record<string, string> };

  beforeAll(async () => {
    odd = await startSimulator('runflow-odd', () => answer);
    gwOdd = await startGateway({ RUNFLOW_ADMIN_KEY: RUNFLOW_SANDBOX_ADMIN_KEY, RUNFLOW_BASE_URL: odd.url });
  });
  afterAll(async () => {
    await gwOdd?.close();
    await odd?.close();
  });

  const run = (status_code: string) => ({ id: 'r1', status_code, completed_at: '2026-05-23T10:42:11.000+00:00' });

  it('a 2xx without a run object is ProviderUnavailableError, not a success', async () => {
    answer = { status: 201, body: 'OK', headers: { 'content-type': 'text/plain' } };
    expect(await cancelWith(gwOdd, 'r1')).toMatchObject({ __typename: 'ProviderUnavailableError', providerHttpStatus: 201, retryable: false });
  });

  it('a 201 whose status_code is still in flight is CANCEL_REQUESTED (status_code is what counts)', async () => {
    answer = { status: 201, body: run('running') };
    expect(await cancelWith(gwOdd, 'r1')).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCEL_REQUESTED',
      run: { lifecycle: { __typename: 'RunRunning', providerStatus: 'running' } },
    });
  });

  it('a 201 whose status_code is cancelled (UK spelling) is CANCELLED', async () => {
    answer = { status: 201, body: run('cancelled') };
    expect(await cancelWith(gwOdd, 'r1')).toMatchObject({
      outcome: 'CANCELLED',
      run: { lifecycle: { __typename: 'RunCancelled', providerStatus: 'cancelled', finishedAt: '2026-05-23T10:42:11.000Z' } },
    });
  });

  it('a 201 whose status_code says the run succeeded first is RunNotCancellableError, not CANCELLED', async () => {
    answer = { status: 201, body: run('succeeded') };
    expect(await cancelWith(gwOdd, 'r1')).toMatchObject({
      __typename: 'RunNotCancellableError',
      providerHttpStatus: 201,
      run: { lifecycle: { __typename: 'RunSucceeded', providerStatus: 'succeeded' } },
    });
  });

  it('a 200 with a still-running run is CANCEL_REQUESTED, never CANCELLED', async () => {
    answer = { status: 200, body: run('running') };
    expect(await cancelWith(gwOdd, 'r1')).toMatchObject({ outcome: 'CANCEL_REQUESTED' });
  });

  it('a 429 that does carry Retry-After (older docs) is honoured', async () => {
    answer = { status: 429, headers: { 'retry-after': '12' }, body: { code: 'RATE_LIMITED', message: 'Rate limit exceeded', errors: null } };
    expect(await cancelWith(gwOdd, 'r1')).toMatchObject({ __typename: 'ProviderRateLimitedError', retryAfterSeconds: 12 });
  });

  it('a 422 message that echoes the key is scrubbed', async () => {
    answer = {
      status: 422,
      body: { code: 'VALIDATION_ERROR', message: 'bad', errors: [{ type: 'value_error', message: `key ${RUNFLOW_SANDBOX_ADMIN_KEY} rejected` }] },
    };
    const payload = await cancelWith(gwOdd, 'r1', 'fine reason');
    expect(payload).toMatchObject({ __typename: 'InvalidRunInputError', field: 'reason' });
    expect(JSON.stringify(payload)).not.toContain(RUNFLOW_SANDBOX_ADMIN_KEY);
  });
});

describe('cancelRun at Runflow: a 200 whose status this gateway cannot place', () => {
  it('is RunNotCancellableError with RunStatusUnknown: 200 is documented for runs already terminal', async () => {
    await withStubProvider(
      () => ({ status: 200, body: { id: '01J0X', status_code: 'archived', completed_at: '2026-05-18T10:00:04+00:00' } }),
      (url) => ({ RUNFLOW_ADMIN_KEY: 'rf_svc_stub', RUNFLOW_BASE_URL: url }),
      async (g) =>
        expect(await cancelWith(g, '01J0X')).toMatchObject({
          __typename: 'RunNotCancellableError',
          providerHttpStatus: 200,
          run: { lifecycle: { __typename: 'RunStatusUnknown', providerStatus: 'archived' } },
        }),
    );
  });
});
