import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PLAYBOOK_MESSAGES,
  PLAYBOOK_SANDBOX_API_KEY,
  PLAYBOOK_SANDBOX_JWT,
  PLAYBOOK_SANDBOX_TEAM_ID,
  playbookRunId,
  playbookSeeds,
  startPlaybookSim,
  type PlaybookSim,
} from '../src/sandbox/playbook.js';
import { CANCEL_RUN, startGateway, type TestGateway } from './support/gateway.js';

const TEAM = PLAYBOOK_SANDBOX_TEAM_ID;
const OTHER_TEAM = '7ea30000-0000-4000-8000-000000000002';
const UNKNOWN_TEAM = '7ea30000-0000-4000-8000-0000000000ff';
const id = playbookRunId;
const WRONG_KEY = 'pb_wrong_x_api_key_1111111111111111';
const WRONG_JWT = `${PLAYBOOK_SANDBOX_JWT.split('.')[0]}.eyJ1c2VybmFtZSI6Indyb25nIn0.`;

let sim: PlaybookSim;
let gw: TestGateway;
let gwWrongKey: TestGateway;
let gwWrongJwt: TestGateway;

beforeAll(async () => {
  sim = await startPlaybookSim();
  const env = { PLAYBOOK_API_KEY: PLAYBOOK_SANDBOX_API_KEY, PLAYBOOK_JWT: PLAYBOOK_SANDBOX_JWT, PLAYBOOK_BASE_URL: sim.url };
  [gw, gwWrongKey, gwWrongJwt] = await Promise.all([
    startGateway(env),
    startGateway({ ...env, PLAYBOOK_API_KEY: WRONG_KEY }),
    startGateway({ ...env, PLAYBOOK_JWT: WRONG_JWT }),
  ]);
});
afterAll(async () => {
  await Promise.all([gw?.close(), gwWrongKey?.close(), gwWrongJwt?.close()]);
  await sim?.close();
});
beforeEach(() => {
  // Every test starts from the seeds: a cancel changes the simulator's state.
  sim.runs.clear();
  for (const run of playbookSeeds()) sim.runs.set(run.id, run);
  sim.errorKey = 'description';
  sim.clearRequests();
});

async function cancelInput(input: Record<string, unknown>, via: TestGateway = gw) {
  const res = await via.gql(CANCEL_RUN, { input: { provider: 'PLAYBOOK', ...input } });
  expect(res.errors).toBeUndefined();
  return res.data.cancelRun;
}
const cancel = (runId: string, teamId = TEAM, via: TestGateway = gw) => cancelInput({ runId, teamId }, via);

/** The one request the gateway sent: POST, exact raw path, both credentials, no body. */
function expectOneCancelRequest(teamId: string, runId: string, credentials = { key: PLAYBOOK_SANDBOX_API_KEY, jwt: PLAYBOOK_SANDBOX_JWT }) {
  expect(sim.requests).toHaveLength(1);
  const [request] = sim.requests;
  expect(request).toMatchObject({ method: 'POST', path: `/cancel/${teamId}/${runId}`, body: '' });
  expect(request!.headers['x-api-key']).toBe(credentials.key);
  expect(request!.headers.authorization).toBe(`Bearer ${credentials.jwt}`);
  expect(request!.headers['content-type']).toBeUndefined();
}

describe('cancelRun at Playbook: an ongoing run', () => {
  it.each([
    ['1', 'not-started'],
    ['2', 'queued'],
    ['3', 'started'],
    ['4', 'running'],
    ['5', 'uploading'],
  ])('cancels run …%s (%s): 200 "Run successfully canceled." -> CANCELLED', async (suffix, literal) => {
    const runId = id(suffix);
    expect(sim.runs.get(runId)!.status).toBe(literal);
    const payload = await cancel(runId);
    expect(payload).toEqual({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: {
        id: `playbook:${TEAM}/${runId}`,
        provider: 'PLAYBOOK',
        providerRunId: runId,
        teamId: TEAM,
        // Playbook has no read: the details are unknown, and asking for them costs no request.
        createdAt: null,
        startedAt: null,
        finishedAt: null,
        // The message names no literal, so there is no providerStatus to report.
        lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus: null, finishedAt: null, reason: null },
      },
    });
    expectOneCancelRequest(TEAM, runId);
    expect(sim.runs.get(runId)!.status).toBe('cancelled');
  });

  it('a second cancel of the same run answers ALREADY_CANCELLED (200, message "cancelled")', async () => {
    const runId = id('4');
    expect(await cancel(runId)).toMatchObject({ outcome: 'CANCELLED' });
    expect(await cancel(runId)).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'ALREADY_CANCELLED',
      run: { id: `playbook:${TEAM}/${runId}`, teamId: TEAM, lifecycle: { __typename: 'RunCancelled', providerStatus: 'cancelled' } },
    });
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /cancel/${TEAM}/${runId}`, `POST /cancel/${TEAM}/${runId}`]);
  });

  it('sends an upper-case UUID as written (Playbook matches UUIDs case-insensitively)', async () => {
    const runId = id('2');
    const upperTeam = TEAM.toUpperCase();
    expect(upperTeam).not.toBe(TEAM);
    const payload = await cancel(runId, upperTeam);
    expect(payload).toMatchObject({ outcome: 'CANCELLED', run: { id: `playbook:${upperTeam}/${runId}`, teamId: upperTeam } });
    expectOneCancelRequest(upperTeam, runId);
  });
});

describe('cancelRun at Playbook: a run already in a final state (200, only the message tells)', () => {
  it.each([
    ['10', 'success', 'RunSucceeded', 'SUCCEEDED', 'success'],
    ['11', 'executed', 'RunSucceeded', 'SUCCEEDED', 'executed'],
    ['12', 'completed', 'RunSucceeded', 'SUCCEEDED', 'completed'],
    ['20', 'failed', 'RunFailed', 'FAILED', 'failed'],
    ['21', 'timeout', 'RunFailed', 'FAILED', 'timeout'],
    ['40', 'Run is already in a final state: failed', 'RunFailed', 'FAILED', 'failed'],
    ['44', 'Run cannot be canceled: it already finished with status success.', 'RunSucceeded', 'SUCCEEDED', 'success'],
  ])('run …%s, message %j -> RunNotCancellableError carrying %s', async (suffix, message, typename, status, providerStatus) => {
    const runId = id(suffix);
    const seed = sim.runs.get(runId)!;
    expect(seed.finalMessage ?? seed.status).toBe(message);
    const payload = await cancel(runId);
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      code: 'RUN_NOT_CANCELLABLE',
      providerHttpStatus: 200,
      run: {
        id: `playbook:${TEAM}/${runId}`,
        provider: 'PLAYBOOK',
        providerRunId: runId,
        teamId: TEAM,
        lifecycle: { __typename: typename, status, providerStatus },
      },
    });
    expect(payload.message).toContain(runId);
    expect(payload.message).toContain(status.toLowerCase());
    expectOneCancelRequest(TEAM, runId);
    expect(sim.runs.get(runId)!.status).toBe(seed.status);
  });

  it.each([
    ['30', 'cancelled', 'cancelled'],
    ['31', 'canceled', 'canceled'],
    ['41', 'Run is already in a final state: cancelled', 'cancelled'],
    ['42', 'Run already canceled.', 'canceled'],
  ])('run …%s, message %j -> ALREADY_CANCELLED', async (suffix, message, providerStatus) => {
    const runId = id(suffix);
    const seed = sim.runs.get(runId)!;
    expect(seed.finalMessage ?? seed.status).toBe(message);
    expect(await cancel(runId)).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'ALREADY_CANCELLED',
      run: { id: `playbook:${TEAM}/${runId}`, teamId: TEAM, lifecycle: { __typename: 'RunCancelled', status: 'CANCELLED', providerStatus } },
    });
    expectOneCancelRequest(TEAM, runId);
  });

  it('a final-state message that names no state -> RunNotCancellableError with RunStatusUnknown, the message quoted in its own', async () => {
    const runId = id('43');
    expect(sim.runs.get(runId)!.finalMessage).toBe('Run is already in a final state.');
    const payload = await cancel(runId);
    expect(payload).toMatchObject({
      __typename: 'RunNotCancellableError',
      providerHttpStatus: 200,
      // providerStatus is a status literal; Playbook sent none, only a sentence.
      run: { id: `playbook:${TEAM}/${runId}`, lifecycle: { __typename: 'RunStatusUnknown', status: 'UNKNOWN', providerStatus: null } },
    });
    expect(payload.message).toContain('Playbook said: "Run is already in a final state."');
  });

  // Other plausible wordings of "A success message, or final run state", set on a finished run.
  it.each([
    ['SUCCESS', 'RunNotCancellableError', null, 'RunSucceeded', 'SUCCESS'],
    ['Run already finished: executed', 'RunNotCancellableError', null, 'RunSucceeded', 'executed'],
    ['  timeout  ', 'RunNotCancellableError', null, 'RunFailed', 'timeout'],
    ['Run could not be cancelled: failed', 'RunNotCancellableError', null, 'RunFailed', 'failed'],
    ['CANCELLED', 'CancelRunSuccess', 'ALREADY_CANCELLED', 'RunCancelled', 'CANCELLED'],
    ['Run has already been canceled successfully.', 'CancelRunSuccess', 'ALREADY_CANCELLED', 'RunCancelled', 'canceled'],
    ['Run is already in a final state: Cancelled', 'CancelRunSuccess', 'ALREADY_CANCELLED', 'RunCancelled', 'Cancelled'],
  ])('message %j -> %s %s (%s %s)', async (message, typename, outcome, lifecycle, providerStatus) => {
    const runId = id('20');
    sim.runs.get(runId)!.finalMessage = message;
    const payload = await cancel(runId);
    expect(payload).toMatchObject({
      __typename: typename,
      ...(outcome ? { outcome } : { providerHttpStatus: 200 }),
      run: { id: `playbook:${TEAM}/${runId}`, lifecycle: { __typename: lifecycle, providerStatus } },
    });
  });

  it('undocumented: a 200 naming a state still in flight -> CANCEL_REQUESTED with that state', async () => {
    const runId = id('20');
    sim.runs.get(runId)!.finalMessage = 'queued';
    expect(await cancel(runId)).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCEL_REQUESTED',
      run: { lifecycle: { __typename: 'RunQueued', status: 'QUEUED', providerStatus: 'queued' } },
    });
  });
});

describe('cancelRun at Playbook: documented failures', () => {
  it.each(['description', 'result'] as const)(
    '400 -> InvalidRunInputError with the provider\'s explanation, read from {"%s": ...}',
    async (errorKey) => {
      sim.errorKey = errorKey;
      const runId = id('400');
      const payload = await cancel(runId);
      expect(payload).toMatchObject({
        __typename: 'InvalidRunInputError',
        code: 'INVALID_RUN_INPUT',
        providerHttpStatus: 400,
        field: null,
      });
      expect(payload.message).toContain(PLAYBOOK_MESSAGES[400]);
      expectOneCancelRequest(TEAM, runId);
    },
  );

  it.each(['description', 'result'] as const)('401 {"%s": ...} -> ProviderAuthError naming both credentials', async (errorKey) => {
    sim.errorKey = errorKey;
    const payload = await cancel(id('401'));
    expect(payload).toMatchObject({ __typename: 'ProviderAuthError', code: 'PROVIDER_AUTH', providerHttpStatus: 401, providerCode: null });
    expect(payload.message).toContain('PLAYBOOK_API_KEY');
    expect(payload.message).toContain('PLAYBOOK_JWT');
  });

  it('a wrong x-api-key -> 401 -> ProviderAuthError (the key is sent as x-api-key)', async () => {
    const runId = id('4');
    expect(await cancel(runId, TEAM, gwWrongKey)).toMatchObject({ __typename: 'ProviderAuthError', providerHttpStatus: 401 });
    expectOneCancelRequest(TEAM, runId, { key: WRONG_KEY, jwt: PLAYBOOK_SANDBOX_JWT });
    expect(sim.runs.get(runId)!.status).toBe('running');
  });

  it('a wrong JWT -> 401 -> ProviderAuthError (the JWT is sent as the bearer token)', async () => {
    const runId = id('4');
    expect(await cancel(runId, TEAM, gwWrongJwt)).toMatchObject({ __typename: 'ProviderAuthError', providerHttpStatus: 401 });
    expectOneCancelRequest(TEAM, runId, { key: PLAYBOOK_SANDBOX_API_KEY, jwt: WRONG_JWT });
    expect(sim.runs.get(runId)!.status).toBe('running');
  });

  it.each(['description', 'result'] as const)('402 {"%s": ...} -> ProviderPaymentRequiredError', async (errorKey) => {
    sim.errorKey = errorKey;
    expect(await cancel(id('402'))).toMatchObject({
      __typename: 'ProviderPaymentRequiredError',
      code: 'PROVIDER_PAYMENT_REQUIRED',
      providerHttpStatus: 402,
    });
  });

  it('403 -> ProviderForbiddenError', async () => {
    expect(await cancel(id('403'))).toMatchObject({
      __typename: 'ProviderForbiddenError',
      code: 'PROVIDER_FORBIDDEN',
      providerHttpStatus: 403,
    });
  });

  it('404 for an unknown run -> RunNotFoundError', async () => {
    const runId = id('999');
    expect(await cancel(runId)).toMatchObject({
      __typename: 'RunNotFoundError',
      code: 'RUN_NOT_FOUND',
      providerRunId: runId,
      providerHttpStatus: 404,
    });
    expectOneCancelRequest(TEAM, runId);
  });

  it('404 for an unknown team -> RunNotFoundError', async () => {
    const runId = id('4');
    expect(await cancel(runId, UNKNOWN_TEAM)).toMatchObject({ __typename: 'RunNotFoundError', providerRunId: runId, providerHttpStatus: 404 });
    expectOneCancelRequest(UNKNOWN_TEAM, runId);
    expect(sim.runs.get(runId)!.status).toBe('running');
  });

  it('404 for a run of another team -> RunNotFoundError, and the run is untouched', async () => {
    const runId = id('77');
    sim.runs.set(runId, { id: runId, teamId: OTHER_TEAM, status: 'running', createdAt: new Date().toISOString() });
    expect(await cancel(runId, TEAM)).toMatchObject({ __typename: 'RunNotFoundError', providerHttpStatus: 404 });
    expect(sim.runs.get(runId)!.status).toBe('running');
    expect(await cancel(runId, OTHER_TEAM)).toMatchObject({ outcome: 'CANCELLED', run: { id: `playbook:${OTHER_TEAM}/${runId}`, teamId: OTHER_TEAM } });
  });

  it.each(['description', 'result'] as const)('500 {"%s": ...} -> ProviderUnavailableError, not retryable', async (errorKey) => {
    sim.errorKey = errorKey;
    expect(await cancel(id('500'))).toMatchObject({
      __typename: 'ProviderUnavailableError',
      code: 'PROVIDER_UNAVAILABLE',
      providerHttpStatus: 500,
      retryable: false,
    });
  });
});

describe('cancelRun at Playbook: input checked before any upstream call', () => {
  const run = id('4');
  it.each([
    ['no teamId', { runId: run }, 'teamId'],
    ['a null teamId', { runId: run, teamId: null }, 'teamId'],
    ['an empty teamId', { runId: run, teamId: '' }, 'teamId'],
    ['a teamId that is not a UUID', { runId: run, teamId: 'team-1' }, 'teamId'],
    ['a teamId with a slash', { runId: run, teamId: `${TEAM}/x` }, 'teamId'],
    ['a runId that is not a UUID', { runId: 'run-1', teamId: TEAM }, 'runId'],
    ['a global id as runId', { runId: `playbook:${TEAM}/${run}`, teamId: TEAM }, 'runId'],
    ['a runId with a slash', { runId: `${run}/../../cancel`, teamId: TEAM }, 'runId'],
    ['a runId of ..', { runId: '..', teamId: TEAM }, 'runId'],
    ['a runId with ?', { runId: `${run}?team_id=x`, teamId: TEAM }, 'runId'],
    ['a runId with a space', { runId: '00000000-0000-4000-8000 000000000004', teamId: TEAM }, 'runId'],
    ['a runId with a percent-escape', { runId: '00000000%2D0000-4000-8000-000000000004', teamId: TEAM }, 'runId'],
    ['a UUID without hyphens', { runId: '00000000000040008000000000000004', teamId: TEAM }, 'runId'],
    ['a UUID in braces', { runId: `{${run}}`, teamId: TEAM }, 'runId'],
    ['a UUID one digit short', { runId: run.slice(0, -1), teamId: TEAM }, 'runId'],
  ])('rejects %s as InvalidRunInputError, sending nothing', async (_what, input, field) => {
    const payload = await cancelInput(input);
    expect(payload).toMatchObject({ __typename: 'InvalidRunInputError', code: 'INVALID_RUN_INPUT', field, providerHttpStatus: null });
    expect(sim.requests).toEqual([]);
    expect(sim.runs.get(run)!.status).toBe('running');
  });
});

describe('the Playbook simulator follows the docs', () => {
  const post = (path: string, headers: Record<string, string>) => fetch(sim.url + path, { method: 'POST', headers });
  const both = { 'x-api-key': PLAYBOOK_SANDBOX_API_KEY, authorization: `Bearer ${PLAYBOOK_SANDBOX_JWT}` };

  it.each([
    ['without x-api-key (as the docs\' cURL sample)', { authorization: both.authorization }],
    ['without the bearer JWT', { 'x-api-key': both['x-api-key'] }],
    ['with the JWT but no "Bearer "', { 'x-api-key': both['x-api-key'], authorization: PLAYBOOK_SANDBOX_JWT }],
  ])('answers 401 %s, in the documented envelope', async (_what, headers) => {
    const res = await post(`/cancel/${TEAM}/${id('4')}`, headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ description: 'Unauthorized. The Bearer token or API key is invalid or missing.' });
    sim.errorKey = 'result';
    expect(await (await post(`/cancel/${TEAM}/${id('4')}`, headers)).json()).toEqual({
      result: 'Unauthorized. The Bearer token or API key is invalid or missing.',
    });
    sim.errorKey = 'description';
    expect(sim.runs.get(id('4'))!.status).toBe('running');
  });

  it('answers 400 for a team_id or run_id that is not a UUID', async () => {
    for (const path of [`/cancel/team-1/${id('4')}`, `/cancel/${TEAM}/run-1`]) {
      const res = await post(path, both);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ description: 'Bad Request. Possibly invalid team_id/run_id format.' });
    }
  });

  it('keeps state; its undocumented GET /runs (SDK, camelCase) shows it, and the gateway never calls it', async () => {
    await cancel(id('1'));
    const res = await fetch(`${sim.url}/runs`, { headers: both });
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<Record<string, any>>;
    expect(list.find((r) => r.id === id('1'))).toMatchObject({ status: 'cancelled', team: { id: TEAM }, webhookUrl: null, runResult: null });
    expect(sim.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`/cancel/${TEAM}/${id('1')}`]);
  });

  it('run_workflow (documented) queues a run that the gateway can then cancel', async () => {
    const runId = 'c0ffee00-0000-4000-8000-000000000001';
    const res = await post(`/run_workflow/${TEAM}/${runId}`, { ...both, 'content-type': 'application/json' });
    expect(await res.json()).toEqual({ run_id: runId, status: 'queued', message: 'Workflow queued successfully.' });
    expect(await cancel(runId)).toMatchObject({ outcome: 'CANCELLED' });
    expect(await cancel(runId)).toMatchObject({ outcome: 'ALREADY_CANCELLED' });
  });
});

describe('Playbook credentials never leak', () => {
  it('appear in no response and no log line, whatever the outcome', async () => {
    const answers = [
      await cancel(id('401')),
      await cancel(id('400')),
      await cancel(id('500')),
      await cancel(id('4')),
      await cancel(id('20')),
      await cancel(id('4'), TEAM, gwWrongKey),
      await cancel(id('4'), TEAM, gwWrongJwt),
    ];
    const text = JSON.stringify(answers);
    const logs = [gw, gwWrongKey, gwWrongJwt].map((g) => g.logs.join('')).join('');
    for (const secret of [PLAYBOOK_SANDBOX_API_KEY, PLAYBOOK_SANDBOX_JWT, WRONG_KEY, WRONG_JWT, PLAYBOOK_SANDBOX_JWT.split('.')[1]!]) {
      expect(text).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(logs).toContain('upstream request');
    // They were sent, so the checks above are not vacuous.
    expect(sim.requests.some((r) => r.headers['x-api-key'] === PLAYBOOK_SANDBOX_API_KEY)).toBe(true);
  });

  it('a 200 message that echoes a credential is scrubbed before it reaches the client', async () => {
    const runId = id('20');
    sim.runs.get(runId)!.finalMessage = `Run is already in a final state (key ${PLAYBOOK_SANDBOX_API_KEY})`;
    const payload = await cancel(runId);
    expect(payload.message).toContain('[REDACTED]');
    expect(JSON.stringify(payload)).not.toContain(PLAYBOOK_SANDBOX_API_KEY);
  });
});
