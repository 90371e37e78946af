// Reads go through one DataLoader per provider per request: duplicates load once, reads run in
// parallel up to the provider's concurrency bound, order is kept, and one bad id fails alone.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATAFRAMER_SANDBOX_KEY, dataframerSeeds, startDataFramerSim } from '../src/sandbox/dataframer.js';
import { RETAB_SANDBOX_KEY, startRetabSim } from '../src/sandbox/retab.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const CONCURRENCY = 4;
let df: Awaited<ReturnType<typeof startDataFramerSim>>;
let rt: Awaited<ReturnType<typeof startRetabSim>>;
let gw: TestGateway;

const many = Array.from({ length: 50 }, (_, i) => ({ ...dataframerSeeds()[0]!, id: `df-batch-${i}` }));

beforeAll(async () => {
  df = await startDataFramerSim({ seeds: [...dataframerSeeds(), ...many] });
  rt = await startRetabSim();
  gw = await startGateway({
    DATAFRAMER_API_KEY: DATAFRAMER_SANDBOX_KEY,
    DATAFRAMER_BASE_URL: df.url,
    RETAB_API_KEY: RETAB_SANDBOX_KEY,
    RETAB_BASE_URL: rt.url,
    RUNGATE_DATAFRAMER_CONCURRENCY: String(CONCURRENCY),
  });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([df?.close(), rt?.close()]);
});
beforeEach(() => {
  df.clearRequests();
  rt.clearRequests();
  df.latencyMs = 0;
});

const RUNS = /* GraphQL */ `
  query($ids: [ID!]!) {
    runs(ids: $ids) {
      __typename
      ... on Run { id lifecycle { __typename ... on RunPending { providerStatus } ... on RunSucceeded { providerStatus } } }
      ... on GatewayError { code }
    }
  }
`;

describe('runs(ids)', () => {
  it('reads fifty runs with one upstream request per distinct id, never more than the concurrency bound at once, in order', async () => {
    df.latencyMs = 40;
    const distinct = many.map((r) => `dataframer:${r.id}`);
    const ids = [...distinct, distinct[0]!, distinct[7]!, distinct[7]!];
    const res = await gw.gql(RUNS, { ids });
    expect(res.errors).toBeUndefined();
    expect(res.data.runs.map((r: { id: string }) => r.id)).toEqual(ids);
    const paths = df.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toHaveLength(50);
    expect(new Set(paths)).toEqual(new Set(many.map((r) => `GET /api/dataframer/runs/${r.id}/`)));
    expect(df.stats.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(df.stats.maxInFlight).toBeGreaterThan(1); // parallel, not one by one
  });

  it('mixes providers and keeps a bad id to its own item', async () => {
    const ids = ['retab:exprun_completed', 'dataframer:df-pending', 'dataframer:df-missing', 'nonsense', 'retab:exprun_completed', 'dataframer:df-pending'];
    const res = await gw.gql(RUNS, { ids });
    expect(res.errors).toBeUndefined();
    expect(res.data.runs).toEqual([
      { __typename: 'Run', id: 'retab:exprun_completed', lifecycle: { __typename: 'RunSucceeded', providerStatus: 'completed' } },
      { __typename: 'Run', id: 'dataframer:df-pending', lifecycle: { __typename: 'RunPending', providerStatus: 'PENDING' } },
      { __typename: 'RunNotFoundError', code: 'RUN_NOT_FOUND' },
      { __typename: 'InvalidRunInputError', code: 'INVALID_RUN_INPUT' },
      { __typename: 'Run', id: 'retab:exprun_completed', lifecycle: { __typename: 'RunSucceeded', providerStatus: 'completed' } },
      { __typename: 'Run', id: 'dataframer:df-pending', lifecycle: { __typename: 'RunPending', providerStatus: 'PENDING' } },
    ]);
    expect(rt.requests.map((r) => r.path)).toEqual(['/v1/workflows/experiments/runs/exprun_completed']);
    expect(df.requests.map((r) => r.path).sort()).toEqual(['/api/dataframer/runs/df-missing/', '/api/dataframer/runs/df-pending/']);
  });

  it('refuses more than 100 ids with a GraphQL error, before any upstream call', async () => {
    const res = await gw.gql(RUNS, { ids: Array.from({ length: 101 }, (_, i) => `dataframer:x${i}`) });
    expect(res.errors?.[0]?.message).toMatch(/at most 100 ids/);
    expect(df.requests).toEqual([]);
  });
});

describe('what a cancel learned is not read again', () => {
  it('cancelRun { run { lifecycle } } after a 204 makes the cancel request only', async () => {
    const res = await gw.gql(`mutation { cancelRun(input: {provider: DATAFRAMER, runId: "df-batch-1"}) {
      ... on CancelRunSuccess { outcome run { lifecycle { __typename } } } } }`);
    expect(res.data.cancelRun).toEqual({ outcome: 'CANCELLED', run: { lifecycle: { __typename: 'RunCancelled' } } });
    expect(df.requests.map((r) => r.method)).toEqual(['POST']);
  });

  it("the read a Retab cancel needed to disambiguate its 404 serves the run's details too", async () => {
    const res = await gw.gql(`mutation { cancelRun(input: {provider: RETAB, runId: "exprun_completed"}) {
      __typename ... on RunNotCancellableError { run { createdAt finishedAt lifecycle { __typename } } } } }`);
    expect(res.data.cancelRun).toMatchObject({ __typename: 'RunNotCancellableError', run: { lifecycle: { __typename: 'RunSucceeded' } } });
    expect(res.data.cancelRun.run.createdAt).toMatch(/Z$/);
    expect(rt.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/workflows/experiments/runs/exprun_completed/cancel',
      'GET /v1/workflows/experiments/runs/exprun_completed',
    ]);
  });
});
