import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UpstreamResponse } from '../src/providers/http.js';
import { TRIGGER_SANDBOX_SECRET_KEY, startTriggerDevSim, triggerDevSeeds } from '../src/sandbox/trigger-dev.js';
import { CANCEL_RUN, startGateway, withStubProvider, type TestGateway } from './support/gateway.js';

let sim: Awaited<ReturnType<typeof startTriggerDevSim>>;
let gw: TestGateway;
/** Every upstream answer the gateway saw, to check headers the simulator sent. */
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

const cancel = async (runId: string) => {
  const res = await gw.gql(CANCEL_RUN, { input: { provider: 'TRIGGER_DEV', runId } });
  expect(res.errors).toBeUndefined();
  return res.data?.cancelRun;
};
const calls = () => sim.requests.map((r) => `${r.method} ${r.path}`);
const encodedCancel = (id: string) => `POST /api/v2/runs/${id}/cancel`;
const encodedRead = (id: string) => `GET /api/v3/runs/${id}`;

describe('cancelRun at Trigger.dev', () => {
  it('cancels an executing run: POST cancel (200 {id}), then reads it back pinned to API version 2025-07-16 -> CANCELLED', async () => {
    const payload = await cancel('run_executing');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: {
        id: 'trigger-dev:run_executing',
        provider: 'TRIGGER_DEV',
        providerRunId: 'run_executing',
        teamId: null,
        lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'CANCELED', reason: null },
      },
    });
    expect(payload.run.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Date.parse(payload.run.lifecycle.finishedAt)).toBeGreaterThan(Date.now() - 5_000);
    expect(calls()).toEqual([encodedCancel('run_executing'), encodedRead('run_executing')]);

    const [post, get] = sim.requests;
    expect(post!.headers.authorization).toBe(`Bearer ${TRIGGER_SANDBOX_SECRET_KEY}`);
    expect(post!.body).toBe('');
    expect(get!.headers.authorization).toBe(`Bearer ${TRIGGER_SANDBOX_SECRET_KEY}`);
    expect(get!.headers['x-trigger-api-version']).toBe('2025-07-16');
    expect(get!.body).toBe('');
    // The cancel answer itself says nothing about what happened.
    expect(answers[0]!.response).toMatchObject({ status: 200, json: { id: 'run_executing' } });
    expect(sim.runs.get('run_executing')!.status).toBe('CANCELED');
  });

  it.each([
    ['run_pending_version', 'PENDING_VERSION'],
    ['run_waiting_for_deploy', 'PENDING_VERSION'],
    ['run_delayed', 'DELAYED'],
    ['run_queued', 'QUEUED'],
    ['run_dequeued', 'DEQUEUED'],
    ['run_reattempting', 'EXECUTING'],
    ['run_waiting', 'WAITING'],
  ])('cancels %s (was %s) -> CANCELLED', async (runId, before) => {
    const read = await gw.gql(`query { run(id: "trigger-dev:${runId}") { ... on Run { lifecycle { ... on RunPending { providerStatus } ... on RunQueued { providerStatus } ... on RunRunning { providerStatus } } } } }`);
    expect(read.data.run.lifecycle.providerStatus).toBe(before);
    expect(await cancel(runId)).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: { lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'CANCELED' } },
    });
  });

  it('reports ALREADY_CANCELLED for a run cancelled long before this request (finishedAt older than the 5 s margin)', async () => {
    const finishedAt = sim.runs.get('run_canceled')!.finishedAt;
    const payload = await cancel('run_canceled');
    expect(payload).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'ALREADY_CANCELLED',
      run: { id: 'trigger-dev:run_canceled', lifecycle: { __typename: 'RunCancelled', providerStatus: 'CANCELED', finishedAt } },
    });
    // Trigger.dev still answers 200 {id}: only the read tells.
    expect(calls()).toEqual([encodedCancel('run_canceled'), encodedRead('run_canceled')]);
    expect(answers[0]!.response).toMatchObject({ status: 200, json: { id: 'run_canceled' } });
    expect(sim.runs.get('run_canceled')!.finishedAt).toBe(finishedAt);
  });

  it('a run this gateway cancelled earlier reports ALREADY_CANCELLED on a later cancel, and nothing changes upstream', async () => {
    const seed = triggerDevSeeds().find((r) => r.id === 'run_executing')!;
    sim.runs.set('run_twice', { ...seed, id: 'run_twice' });
    expect(await cancel('run_twice')).toMatchObject({ outcome: 'CANCELLED' });
    // A minute passes.
    const run = sim.runs.get('run_twice')!;
    run.finishedAt = new Date(Date.parse(run.finishedAt!) - 60_000).toISOString();
    const finishedAt = run.finishedAt;
    sim.clearRequests();
    expect(await cancel('run_twice')).toMatchObject({
      outcome: 'ALREADY_CANCELLED',
      run: { lifecycle: { __typename: 'RunCancelled', finishedAt } },
    });
    expect(calls()).toEqual([encodedCancel('run_twice'), encodedRead('run_twice')]);
    expect(sim.runs.get('run_twice')).toMatchObject({ status: 'CANCELED', finishedAt });
  });

  it('a second cancel right after the first reports ALREADY_CANCELLED, though the run finished a moment ago', async () => {
    const seed = triggerDevSeeds().find((r) => r.id === 'run_executing')!;
    sim.runs.set('run_double_click', { ...seed, id: 'run_double_click' });
    expect(await cancel('run_double_click')).toMatchObject({ outcome: 'CANCELLED' });
    sim.clearRequests();
    expect(await cancel('run_double_click')).toMatchObject({ outcome: 'ALREADY_CANCELLED', run: { lifecycle: { __typename: 'RunCancelled' } } });
    expect(calls()).toEqual([encodedCancel('run_double_click'), encodedRead('run_double_click')]);
  });

  it('a run whose cancel was still winding down reports ALREADY_CANCELLED on the next cancel once it is cancelled', async () => {
    const seed = triggerDevSeeds().find((r) => r.id === 'run_executing')!;
    sim.runs.set('run_wind_down', { ...seed, id: 'run_wind_down', cancelDelayMs: 300 });
    expect(await cancel('run_wind_down')).toMatchObject({ outcome: 'CANCEL_REQUESTED' });
    await new Promise((r) => setTimeout(r, 400));
    expect(await cancel('run_wind_down')).toMatchObject({ outcome: 'ALREADY_CANCELLED' });
  });

  it.each([
    ['run_completed', 'RunSucceeded', 'SUCCEEDED', 'COMPLETED'],
    ['run_failed', 'RunFailed', 'FAILED', 'FAILED'],
    ['run_interrupted', 'RunFailed', 'FAILED', 'FAILED'], // INTERRUPTED folds into FAILED with 2025-07-16
    ['run_v1_interrupted', 'RunFailed', 'FAILED', 'INTERRUPTED'],
    ['run_crashed', 'RunFailed', 'FAILED', 'CRASHED'],
    ['run_system_failure', 'RunFailed', 'FAILED', 'SYSTEM_FAILURE'],
    ['run_expired', 'RunFailed', 'FAILED', 'EXPIRED'],
    ['run_timed_out', 'RunFailed', 'FAILED', 'TIMED_OUT'],
  ])('answers RunNotCancellableError carrying the run for %s (%s %s)', async (runId, typename, status, providerStatus) => {
    const before = structuredClone(sim.runs.get(runId));
    const payload = await cancel(runId);
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      code: 'RUN_NOT_CANCELLABLE',
      providerHttpStatus: 200,
      run: { id: `trigger-dev:${runId}`, providerRunId: runId, lifecycle: { __typename: typename, status, providerStatus } },
    });
    expect(payload.message).toContain(runId);
    expect(calls()).toEqual([encodedCancel(runId), encodedRead(runId)]);
    // The cancel was a no-op upstream.
    expect(sim.runs.get(runId)).toEqual(before);
  });

  it('carries the failure message and code of the run it could not cancel', async () => {
    expect((await cancel('run_failed')).run.lifecycle).toMatchObject({
      failureMessage: 'Upstream API answered 502 Bad Gateway',
      failureCode: 'Error',
      finishedAt: sim.runs.get('run_failed')!.finishedAt,
    });
    expect((await cancel('run_crashed')).run.lifecycle).toMatchObject({
      failureMessage: 'trigger.dev internal error (TASK_PROCESS_OOM_KILLED)',
      failureCode: 'TASK_PROCESS_OOM_KILLED',
    });
  });

  it('reports CANCEL_REQUESTED while the workers wind the run down, then the run reads CANCELED', async () => {
    const started = Date.now();
    const first = await cancel('run_slow_cancel');
    expect(first).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCEL_REQUESTED',
      run: { lifecycle: { __typename: 'RunRunning', status: 'RUNNING', providerStatus: 'EXECUTING' } },
    });
    expect(calls()).toEqual([encodedCancel('run_slow_cancel'), encodedRead('run_slow_cancel')]);
    expect(sim.requests[1]!.headers['x-trigger-api-version']).toBe('2025-07-16');
    // Cancelling again while it winds down changes nothing: still requested, same deadline.
    const requestedAt = sim.runs.get('run_slow_cancel')!.cancelRequestedAt;
    expect(await cancel('run_slow_cancel')).toMatchObject({ outcome: 'CANCEL_REQUESTED', run: { lifecycle: { providerStatus: 'EXECUTING' } } });
    expect(sim.runs.get('run_slow_cancel')!.cancelRequestedAt).toBe(requestedAt);

    let lifecycle: any;
    do {
      await new Promise((r) => setTimeout(r, 200));
      const read = await gw.gql(`query { run(id: "trigger-dev:run_slow_cancel") { ... on Run { lifecycle { __typename ... on RunCancelled { status providerStatus finishedAt } ... on RunRunning { providerStatus } } } } }`);
      lifecycle = read.data.run.lifecycle;
    } while (lifecycle.__typename === 'RunRunning' && Date.now() - started < 10_000);
    expect(lifecycle).toMatchObject({ __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: 'CANCELED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    expect(Date.parse(lifecycle.finishedAt)).toBe(requestedAt! + 3_000);
  });

  it('maps both 404 bodies to RunNotFoundError ("Resource not found" from the route builder, "Run not found" from the action)', async () => {
    expect(await cancel('run_no_such_run')).toMatchObject({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      providerRunId: 'run_no_such_run',
      providerHttpStatus: 404,
    });
    expect(answers[0]!.response.json).toEqual({ error: 'Resource not found' });
    expect(await cancel('run_vanished')).toMatchObject({ __typename: 'RunNotFoundError', providerRunId: 'run_vanished', providerHttpStatus: 404 });
    expect(answers[1]!.response.json).toEqual({ error: 'Run not found' });
    // Nothing to read back after a 404.
    expect(calls()).toEqual([encodedCancel('run_no_such_run'), encodedCancel('run_vanished')]);
  });

  it('maps 400 "Params Error" to InvalidRunInputError on runId, with the details', async () => {
    const payload = await cancel('run_invalid');
    expect(payload).toMatchObject({
      __typename: 'InvalidRunInputError',
      code: 'INVALID_RUN_INPUT',
      field: 'runId',
      providerHttpStatus: 400,
    });
    expect(payload.message).toContain('Params Error');
    expect(payload.message).toContain('Invalid run id');
  });

  it.each([
    ['run_unauthorized', 'ProviderAuthError', 'PROVIDER_AUTH', 401, null],
    ['run_forbidden', 'ProviderForbiddenError', 'PROVIDER_FORBIDDEN', 403, 'unauthorized'],
    ['run_conflict', 'ProviderConflictError', 'PROVIDER_CONFLICT', 409, null],
  ])('maps the upstream answer for %s to %s', async (runId, typename, code, status, providerCode) => {
    const payload = await cancel(runId);
    expect(payload).toMatchObject({ __typename: typename, code, providerHttpStatus: status, providerCode });
    expect(calls()).toEqual([encodedCancel(runId)]);
  });

  it('maps 503 "Run materialisation timed out" (a buffered run) to a retryable ProviderUnavailableError', async () => {
    expect(await cancel('run_buffered')).toMatchObject({
      __typename: 'ProviderUnavailableError',
      code: 'PROVIDER_UNAVAILABLE',
      providerHttpStatus: 503,
      retryable: true,
    });
    expect(answers[0]!.response.json).toEqual({ error: 'Run materialisation timed out' });
  });

  it('maps 500 "Internal Server Error" to ProviderUnavailableError', async () => {
    expect(await cancel('run_server_error')).toMatchObject({ __typename: 'ProviderUnavailableError', providerHttpStatus: 500 });
    expect(answers[0]!.response.json).toEqual({ error: 'Internal Server Error' });
  });

  it('maps 429 (problem+json, x-ratelimit-reset in epoch ms, no Retry-After) to retryAfterSeconds ≈ the seconds until reset', async () => {
    const payload = await cancel('run_rate_limited');
    expect(payload).toMatchObject({
      __typename: 'ProviderRateLimitedError',
      code: 'PROVIDER_RATE_LIMITED',
      providerHttpStatus: 429,
    });
    const { headers, json } = answers[0]!.response;
    expect(headers['content-type']).toBe('application/problem+json');
    expect(headers['retry-after']).toBeUndefined();
    expect(headers['x-ratelimit-limit']).toBe('1500');
    expect(headers['x-ratelimit-remaining']).toBe('0');
    const resetMs = Number(headers['x-ratelimit-reset']);
    expect(resetMs).toBeGreaterThan(1e12); // milliseconds, not seconds
    expect(json).toMatchObject({ title: 'Rate Limit Exceeded', status: 429, reset: resetMs, limit: 1500, remaining: 0 });
    // The seed says the limit lifts 30 s after its answer; allow for the time the test took.
    expect(payload.retryAfterSeconds).toBeGreaterThan(27);
    expect(payload.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(payload.message).toMatch(/retry in \d+ s/);
  });

  it('percent-encodes run ids in both upstream paths (/, .., ?, #, spaces) and round-trips the global id', async () => {
    const seed = triggerDevSeeds().find((r) => r.id === 'run_executing')!;
    const odd = 'run_a/../b?x=1#frag with space';
    sim.runs.set(odd, { ...seed, id: odd });
    const payload = await cancel(odd);
    expect(payload).toMatchObject({ __typename: 'CancelRunSuccess', outcome: 'CANCELLED', run: { providerRunId: odd } });
    const encoded = 'run_a%2F..%2Fb%3Fx%3D1%23frag%20with%20space';
    expect(calls()).toEqual([encodedCancel(encoded), encodedRead(encoded)]);
    expect(payload.run.id).toBe(`trigger-dev:${encoded}`);
    const read = await gw.gql(`query($id: ID!) { run(id: $id) { __typename ... on Run { providerRunId lifecycle { __typename } } } }`, {
      id: payload.run.id,
    });
    expect(read.data.run).toEqual({ __typename: 'Run', providerRunId: odd, lifecycle: { __typename: 'RunCancelled' } });

    sim.clearRequests();
    // Dot segments are refused before any request; a slash stays inside the segment.
    expect(await cancel('..')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(await cancel('.')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    await cancel('run_x/cancel');
    expect(calls()).toEqual([encodedCancel('run_x%2Fcancel')]);
  });

  it('rejects an empty run id before any upstream call', async () => {
    expect(await cancel('')).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(sim.requests).toEqual([]);
  });

  it('answers ProviderAuthError when Trigger.dev rejects the configured key', async () => {
    const wrongKey = 'tr_dev_not_the_right_key_0000000000';
    const other = await startGateway({ TRIGGER_SECRET_KEY: wrongKey, TRIGGER_BASE_URL: sim.url });
    try {
      const res = await other.gql(CANCEL_RUN, { input: { provider: 'TRIGGER_DEV', runId: 'run_v1_frozen' } });
      expect(res.data.cancelRun).toMatchObject({ __typename: 'ProviderAuthError', code: 'PROVIDER_AUTH', providerHttpStatus: 401 });
      expect(sim.requests).toHaveLength(1);
      expect(sim.requests[0]!.headers.authorization).toBe(`Bearer ${wrongKey}`);
      expect(JSON.stringify(res)).not.toContain(wrongKey);
      expect(other.logs.join('')).not.toContain(wrongKey);
      expect(sim.runs.get('run_v1_frozen')!.status).toBe('PAUSED');
    } finally {
      await other.close();
    }
  });

  it('answers ProviderNotConfiguredError without TRIGGER_SECRET_KEY', async () => {
    const other = await startGateway({ TRIGGER_BASE_URL: sim.url });
    try {
      const res = await other.gql(CANCEL_RUN, { input: { provider: 'TRIGGER_DEV', runId: 'run_executing' } });
      expect(res.data.cancelRun).toMatchObject({
        __typename: 'ProviderNotConfiguredError',
        code: 'PROVIDER_NOT_CONFIGURED',
        missingVariables: ['TRIGGER_SECRET_KEY'],
      });
      expect(sim.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('never puts the secret key in a response or a log line', async () => {
    const payloads = [];
    for (const runId of ['run_unauthorized', 'run_forbidden', 'run_invalid', 'run_rate_limited', 'run_buffered', 'run_completed', 'run_nope']) {
      payloads.push(await cancel(runId));
    }
    expect(JSON.stringify(payloads)).not.toContain(TRIGGER_SANDBOX_SECRET_KEY);
    const logs = gw.logs.join('');
    expect(logs).toContain('upstream request');
    expect(logs).not.toContain(TRIGGER_SANDBOX_SECRET_KEY);
    expect(logs).not.toContain(TRIGGER_SANDBOX_SECRET_KEY.slice(7));
  });
});

describe("telling ALREADY_CANCELLED from CANCELLED by Trigger.dev's own clock", () => {
  // Both answers are 200 {id}; the run's finishedAt against the cancel answer's Date header decides.
  function outcome(dateHeaderOffsetMs: number, finishedAgoMs: number, override: Record<string, unknown> = {}) {
    const finishedAt = new Date(Date.now() - finishedAgoMs).toISOString();
    return withStubProvider(
      (req) =>
        req.method === 'POST'
          ? { status: 200, headers: { date: new Date(Date.now() + dateHeaderOffsetMs).toUTCString() }, body: { id: 'run_x' } }
          : { status: 200, body: { id: 'run_x', status: 'CANCELED', finishedAt, updatedAt: finishedAt, ...override } },
      (url) => ({ TRIGGER_SECRET_KEY: 'tr_dev_clock_test', TRIGGER_BASE_URL: url }),
      async (g) => (await g.gql(CANCEL_RUN, { input: { provider: 'TRIGGER_DEV', runId: 'run_x' } })).data.cancelRun.outcome,
    );
  }

  it('a run that finished as our cancel was answered was cancelled by us', async () => {
    expect(await outcome(0, 0)).toBe('CANCELLED');
  });

  it('a cancelled run without finishedAt was cancelled by us, however old its updatedAt', async () => {
    expect(await outcome(0, 60_000, { finishedAt: undefined })).toBe('CANCELLED');
  });

  it('a run that finished well before Trigger.dev answered our cancel was already cancelled, even seconds ago', async () => {
    expect(await outcome(0, 4_000)).toBe('ALREADY_CANCELLED');
  });

  it("the provider's clock decides, not ours: a server clock ahead of ours does not fake a fresh cancel", async () => {
    // Server clock 60 s ahead: a run finished 'now' by our clock finished a minute before the server's answer.
    expect(await outcome(60_000, 0)).toBe('ALREADY_CANCELLED');
  });
});
