// Playbook documents no endpoint that reads a single run (only cancel and run_workflow; the SDK's
// GET /runs list is undocumented). run(id) therefore answers OperationNotSupportedError for every
// well-formed Playbook id, without calling Playbook, and InvalidRunInputError for a malformed one.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PLAYBOOK_SANDBOX_API_KEY,
  PLAYBOOK_SANDBOX_JWT,
  PLAYBOOK_SANDBOX_TEAM_ID,
  playbookRunId,
  playbookSeeds,
  startPlaybookSim,
  type PlaybookSim,
} from '../src/sandbox/playbook.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const TEAM = PLAYBOOK_SANDBOX_TEAM_ID;

let sim: PlaybookSim;
let gw: TestGateway;
let unconfigured: TestGateway;

beforeAll(async () => {
  sim = await startPlaybookSim();
  [gw, unconfigured] = await Promise.all([
    startGateway({ PLAYBOOK_API_KEY: PLAYBOOK_SANDBOX_API_KEY, PLAYBOOK_JWT: PLAYBOOK_SANDBOX_JWT, PLAYBOOK_BASE_URL: sim.url }),
    startGateway({}),
  ]);
});
afterAll(async () => {
  await Promise.all([gw?.close(), unconfigured?.close()]);
  await sim?.close();
});
beforeEach(() => sim.clearRequests());

const RUN_QUERY = /* GraphQL */ `
  query Run($id: ID!) {
    run(id: $id) {
      __typename
      ... on Run {
        id
        lifecycle {
          __typename
          ... on RunPending { status providerStatus }
          ... on RunQueued { status providerStatus }
          ... on RunRunning { status providerStatus }
          ... on RunSucceeded { status providerStatus }
          ... on RunFailed { status providerStatus }
          ... on RunCancelled { status providerStatus }
          ... on RunStatusUnknown { status providerStatus }
        }
      }
      ... on GatewayError { code message }
      ... on OperationNotSupportedError { operation }
      ... on InvalidRunInputError { field providerHttpStatus }
      ... on ProviderNotConfiguredError { missingVariables }
    }
  }
`;

async function read(id: string, via: TestGateway = gw) {
  const res = await via.gql(RUN_QUERY, { id });
  expect(res.errors).toBeUndefined();
  return res.data.run;
}

const NOT_SUPPORTED = {
  __typename: 'OperationNotSupportedError',
  code: 'OPERATION_NOT_SUPPORTED',
  operation: 'reading runs',
};

describe('run(id) for Playbook', () => {
  // Every seed: each status literal, each 200 message form, each failure scenario. None is
  // readable, whatever its state; and no request reaches Playbook.
  it.each(playbookSeeds().map((r) => [r.id.slice(-12), r.finalMessage ?? r.scenario ?? r.status, r.id] as const))(
    'answers OperationNotSupportedError for seeded run …%s (%s), with no upstream request',
    async (_suffix, _what, runId) => {
      const payload = await read(`playbook:${TEAM}/${runId}`);
      expect(payload).toEqual({ ...NOT_SUPPORTED, message: expect.stringMatching(/Playbook documents no endpoint that reads a single run/) });
      expect(sim.requests).toEqual([]);
    },
  );

  it('cannot tell an unknown run from a known one without a read: OperationNotSupportedError, not RunNotFoundError', async () => {
    expect(await read(`playbook:7ea30000-0000-4000-8000-0000000000ff/${playbookRunId('999')}`)).toMatchObject(NOT_SUPPORTED);
    expect(sim.requests).toEqual([]);
  });

  it('answers the same for a run in a failure scenario (the 401 seed) and never sends the credentials', async () => {
    expect(await read(`playbook:${TEAM}/${playbookRunId('401')}`)).toMatchObject(NOT_SUPPORTED);
    expect(sim.requests).toEqual([]);
  });

  it.each([
    ['no slash between team and run', 'playbook:abc', 'id'],
    ['a team but no slash', `playbook:${TEAM}`, 'id'],
    ['a malformed percent-escape', `playbook:${TEAM}/%E0%A4%A`, 'id'],
    ['an empty team', `playbook:/${playbookRunId('4')}`, 'teamId'],
    ['a team that is not a UUID', `playbook:team-1/${playbookRunId('4')}`, 'teamId'],
    ['a run that is not a UUID', `playbook:${TEAM}/run-1`, 'runId'],
    ['a run with an encoded slash', `playbook:${TEAM}/${playbookRunId('4')}%2F..`, 'runId'],
    ['an empty run', `playbook:${TEAM}/`, 'runId'],
  ])('answers InvalidRunInputError for a global id with %s', async (_what, id, field) => {
    expect(await read(id)).toMatchObject({
      __typename: 'InvalidRunInputError',
      code: 'INVALID_RUN_INPUT',
      field,
      providerHttpStatus: null,
    });
    expect(sim.requests).toEqual([]);
  });

  it('runs(ids) answers per id, in order, without calling Playbook', async () => {
    const res = await gw.gql(
      `query($ids: [ID!]!) { runs(ids: $ids) { __typename ... on GatewayError { code } ... on InvalidRunInputError { field } } }`,
      { ids: [`playbook:${TEAM}/${playbookRunId('4')}`, 'playbook:abc', `playbook:${TEAM}/${playbookRunId('30')}`] },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.runs).toEqual([
      { __typename: 'OperationNotSupportedError', code: 'OPERATION_NOT_SUPPORTED' },
      { __typename: 'InvalidRunInputError', code: 'INVALID_RUN_INPUT', field: 'id' },
      { __typename: 'OperationNotSupportedError', code: 'OPERATION_NOT_SUPPORTED' },
    ]);
    expect(sim.requests).toEqual([]);
  });

  it('the providers query says so before anyone tries', async () => {
    const res = await gw.gql(`{ providers { provider configured supportsCancel supportsRead } }`);
    expect(res.data.providers).toContainEqual({ provider: 'PLAYBOOK', configured: true, supportsCancel: true, supportsRead: false });
  });

  it('tells a form what each provider needs: a team for Playbook, a 3-500 character reason for Runflow only', async () => {
    const res = await gw.gql(`{ providers { provider requiresTeamId acceptsReason reasonMinLength reasonMaxLength } }`);
    expect(res.data.providers).toEqual([
      { provider: 'DATAFRAMER', requiresTeamId: false, acceptsReason: false, reasonMinLength: null, reasonMaxLength: null },
      { provider: 'RETAB', requiresTeamId: false, acceptsReason: false, reasonMinLength: null, reasonMaxLength: null },
      { provider: 'RUNFLOW', requiresTeamId: false, acceptsReason: true, reasonMinLength: 3, reasonMaxLength: 500 },
      { provider: 'PLAYBOOK', requiresTeamId: true, acceptsReason: false, reasonMinLength: null, reasonMaxLength: null },
      { provider: 'TRIGGER_DEV', requiresTeamId: false, acceptsReason: false, reasonMinLength: null, reasonMaxLength: null },
    ]);
  });

  it('shows a closed circuit for a configured provider and none for an unconfigured one', async () => {
    const q = `{ providers { provider configured circuit } }`;
    expect((await gw.gql(q)).data.providers).toContainEqual({ provider: 'PLAYBOOK', configured: true, circuit: 'CLOSED' });
    expect((await unconfigured.gql(q)).data.providers).toContainEqual({ provider: 'PLAYBOOK', configured: false, circuit: null });
  });

  it('answers ProviderNotConfiguredError on a gateway without Playbook credentials, naming the variables', async () => {
    expect(await read(`playbook:${TEAM}/${playbookRunId('4')}`, unconfigured)).toMatchObject({
      __typename: 'ProviderNotConfiguredError',
      code: 'PROVIDER_NOT_CONFIGURED',
      missingVariables: ['PLAYBOOK_API_KEY', 'PLAYBOOK_JWT', 'PLAYBOOK_BASE_URL'],
    });
  });

  it('never puts a credential in an answer or a log line', async () => {
    const payload = await read(`playbook:${TEAM}/${playbookRunId('4')}`);
    for (const secret of [PLAYBOOK_SANDBOX_API_KEY, PLAYBOOK_SANDBOX_JWT]) {
      expect(JSON.stringify(payload)).not.toContain(secret);
      expect(gw.logs.join('')).not.toContain(secret);
    }
  });
});
