// Every known input rule answers InvalidRunInputError before any upstream call: a tripwire
// upstream records anything that reaches it, and must record nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/sandbox/sim-server.js';
import { CANCEL_RUN, startGateway, type TestGateway } from './support/gateway.js';

let tripwire: Simulator;
let gw: TestGateway;
const TEAM = '7d5e0c2a-5b1e-4c3f-9a61-0c9f4f1d2e3a';
const RUN = '0b8f3a52-8f0e-4d6b-a4a5-3f2c1e7d9b10';

beforeAll(async () => {
  tripwire = await startSimulator('tripwire', () => ({ status: 500, body: { error: 'tripwire: no request should get here' } }));
  gw = await startGateway({
    DATAFRAMER_API_KEY: 'df-key-0001',
    DATAFRAMER_BASE_URL: tripwire.url,
    RETAB_API_KEY: 'rt_test_key_0001',
    RETAB_BASE_URL: tripwire.url,
    RUNFLOW_ADMIN_KEY: 'rf_svc_key_0001',
    RUNFLOW_BASE_URL: tripwire.url,
    PLAYBOOK_API_KEY: 'pb-key-0001',
    PLAYBOOK_JWT: 'pb.jwt.0001',
    PLAYBOOK_BASE_URL: tripwire.url,
    // Trigger.dev deliberately left unconfigured.
  });
});
afterAll(async () => {
  await gw?.close();
  await tripwire?.close();
});
beforeEach(() => tripwire.clearRequests());

async function cancel(input: Record<string, unknown>) {
  const res = await gw.gql(CANCEL_RUN, { input });
  expect(res.errors).toBeUndefined();
  return res.data.cancelRun;
}

describe('input rules, checked before any upstream call', () => {
  it.each([
    ['an empty runId', { provider: 'DATAFRAMER', runId: '' }, 'runId'],
    ['a blank runId', { provider: 'RETAB', runId: '   ' }, 'runId'],
    ['a runId with surrounding spaces', { provider: 'RETAB', runId: ' exprun_1 ' }, 'runId'],
    ['a runId with a control character', { provider: 'RUNFLOW', runId: 'abc\ndef' }, 'runId'],
    ['a runId over 256 characters', { provider: 'DATAFRAMER', runId: 'x'.repeat(257) }, 'runId'],
    ['a Runflow reason under 3 characters', { provider: 'RUNFLOW', runId: '01J0RUN', reason: 'no' }, 'reason'],
    ['a Runflow reason of whitespace only', { provider: 'RUNFLOW', runId: '01J0RUN', reason: '      ' }, 'reason'],
    ['a Runflow reason over 500 characters', { provider: 'RUNFLOW', runId: '01J0RUN', reason: 'r'.repeat(501) }, 'reason'],
    ['a Playbook cancel without teamId', { provider: 'PLAYBOOK', runId: RUN }, 'teamId'],
    ['a Playbook teamId that is not a UUID', { provider: 'PLAYBOOK', runId: RUN, teamId: 'team-1' }, 'teamId'],
    ['a Playbook runId that is not a UUID', { provider: 'PLAYBOOK', runId: 'run-1', teamId: TEAM }, 'runId'],
    ['a 1 MB reason', { provider: 'RUNFLOW', runId: '01J0RUN', reason: 'r'.repeat(1_000_000) }, 'reason'],
  ])('rejects %s', async (_what, input, field) => {
    const payload = await cancel(input);
    expect(payload).toMatchObject({ __typename: 'InvalidRunInputError', code: 'INVALID_RUN_INPUT', field, providerHttpStatus: null });
    expect(payload.message.length).toBeLessThan(400);
    expect(tripwire.requests).toEqual([]);
  });

  it('accepts a Runflow reason of exactly 3 and exactly 500 characters (and sends them)', async () => {
    await cancel({ provider: 'RUNFLOW', runId: '01J0RUN', reason: 'abc' });
    await cancel({ provider: 'RUNFLOW', runId: '01J0RUN', reason: 'r'.repeat(500) });
    expect(tripwire.requests.map((r) => JSON.parse(r.body).reason.length)).toEqual([3, 500]);
  });

  it('answers ProviderNotConfiguredError, naming the variable, for a provider without credentials', async () => {
    expect(await cancel({ provider: 'TRIGGER_DEV', runId: 'run_123' })).toEqual(
      expect.objectContaining({
        __typename: 'ProviderNotConfiguredError',
        code: 'PROVIDER_NOT_CONFIGURED',
        missingVariables: ['TRIGGER_SECRET_KEY'],
      }),
    );
    expect(tripwire.requests).toEqual([]);
  });

  it('answers a global id passed as runId with a hint, before any upstream call', async () => {
    const payload = await cancel({ provider: 'RETAB', runId: 'retab:exprun_1' });
    expect(payload).toMatchObject({ __typename: 'InvalidRunInputError', field: 'runId' });
    expect(payload.message).toContain('send "exprun_1"');
    expect(tripwire.requests).toEqual([]);
  });

  it('ignores teamId for providers that have no teams: not checked, not sent, not on the run', async () => {
    const payload = await cancel({ provider: 'RETAB', runId: 'exprun_1', teamId: ` ${'t'.repeat(300)} ` });
    // The tripwire answers 500: the request went out, teamId played no part in it.
    expect(payload).toMatchObject({ __typename: 'ProviderUnavailableError', providerHttpStatus: 500 });
    expect(tripwire.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/workflows/experiments/runs/exprun_1/cancel']);
  });

  it('rejects an unknown provider enum value as a GraphQL error with code BAD_USER_INPUT', async () => {
    const res = await gw.gql(CANCEL_RUN, { input: { provider: 'NOPE', runId: 'x' } });
    expect(res.errors?.[0]?.message).toMatch(/RunProvider/);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tripwire.requests).toEqual([]);
  });

  it('a null for a required variable is BAD_USER_INPUT too, never reaching a resolver', async () => {
    const res = await gw.gql('query($id: ID!) { run(id: $id) { __typename } }', { id: null });
    expect(res.data).toBeUndefined();
    expect(res.errors).toMatchObject([{ message: expect.stringMatching(/^Variable "\$id"/), extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(tripwire.requests).toEqual([]);
  });

  it.each([
    ['no provider prefix', 'abc'],
    ['an unknown provider', 'acme:run_1'],
    ['a Playbook id without a team', 'playbook:abc'],
    ['a malformed percent-escape', 'retab:%E0%A4%A'],
  ])('run(id) rejects a global id with %s', async (_what, id) => {
    const res = await gw.gql(`query($id: ID!) { run(id: $id) { __typename ... on InvalidRunInputError { field message } } }`, { id });
    expect(res.data?.run).toMatchObject({ __typename: 'InvalidRunInputError', field: 'id' });
    expect(tripwire.requests).toEqual([]);
  });
});
