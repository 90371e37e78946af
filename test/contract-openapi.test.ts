// Contract tests: the adapters' real requests go to Prism mocks of the vendors' own OpenAPI
// (test/fixtures/openapi, copied from their docs). Prism validates each request (security
// scheme, required headers, path formats) and reports breaks in `sl-violations`; any
// request-side violation fails the test. Prism then answers a documented response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseObserver } from '../src/providers/http.js';
import { startPrism, type PrismMock } from './support/prism.js';
import { startPreferProxy, type PreferProxy } from './support/prefer-proxy.js';
import { startGateway, type TestGateway } from './support/gateway.js';

// Only what the cancel itself answers: no Run detail fields, which would cost a read.
const LEAN_CANCEL = /* GraphQL */ `
  mutation Cancel($input: CancelRunInput!) {
    cancelRun(input: $input) {
      __typename
      ... on GatewayError { code message }
      ... on CancelRunSuccess { outcome run { id teamId lifecycle { __typename ... on RunPending { providerStatus } ... on RunCancelled { providerStatus } } } }
      ... on RunNotFoundError { providerHttpStatus }
      ... on InvalidRunInputError { providerHttpStatus }
      ... on ProviderAuthError { providerHttpStatus }
      ... on ProviderForbiddenError { providerHttpStatus }
      ... on ProviderPaymentRequiredError { providerHttpStatus }
      ... on ProviderUnavailableError { providerHttpStatus }
    }
  }
`;

interface Seen {
  method: string;
  path: string;
  status: number;
  requestViolations: unknown[];
}

const seen: Seen[] = [];
const observer: ResponseObserver = ({ request, response }) => {
  const violations: Array<{ location?: string[] }> = response.headers['sl-violations'] ? JSON.parse(response.headers['sl-violations']) : [];
  seen.push({
    method: request.method,
    path: request.path,
    status: response.status,
    requestViolations: violations.filter((v) => v.location?.[0] === 'request'),
  });
};

const mocks: PrismMock[] = [];
let proxy: PreferProxy;
let gw: TestGateway;
const keys = { df: 'sk_live_contract_df', rt: 'rt_test_contract', pb: 'pb-contract-key', pbJwt: 'eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImNpIn0.', tr: 'tr_dev_contract' };

beforeAll(async () => {
  const [df, rt, pb, tr, trRetrieve] = await Promise.all(
    ['dataframer', 'retab', 'playbook', 'trigger-dev', 'trigger-dev-retrieve-run'].map((f) => startPrism(`test/fixtures/openapi/${f}.yaml`)),
  );
  mocks.push(df!, rt!, pb!, tr!, trRetrieve!);
  // One proxy stands in for every vendor host; the vendors' paths do not overlap.
  proxy = await startPreferProxy((method, path) => {
    if (path.startsWith('/api/dataframer/')) return df!.url;
    if (path.startsWith('/v1/workflows/')) return rt!.url;
    if (path.startsWith('/cancel/')) return pb!.url;
    return method === 'GET' ? trRetrieve!.url : tr!.url;
  });
  gw = await startGateway(
    {
      DATAFRAMER_API_KEY: keys.df,
      DATAFRAMER_BASE_URL: proxy.url,
      RETAB_API_KEY: keys.rt,
      RETAB_BASE_URL: proxy.url,
      PLAYBOOK_API_KEY: keys.pb,
      PLAYBOOK_JWT: keys.pbJwt,
      PLAYBOOK_BASE_URL: proxy.url,
      TRIGGER_SECRET_KEY: keys.tr,
      TRIGGER_BASE_URL: proxy.url,
    },
    { observer },
  );
}, 90_000);

afterAll(async () => {
  await gw?.close();
  await proxy?.close();
  await Promise.all(mocks.map((m) => m.close()));
});

async function cancel(input: Record<string, unknown>, prefer?: number, when?: (method: string, path: string) => boolean) {
  proxy.prefer(prefer, when);
  seen.length = 0;
  const res = await gw.gql(LEAN_CANCEL, { input });
  proxy.prefer(undefined);
  expect(res.errors).toBeUndefined();
  return res.data.cancelRun;
}

function expectNoRequestViolations() {
  expect(seen.length).toBeGreaterThan(0);
  for (const s of seen) expect({ ...s, requestViolations: s.requestViolations }).toMatchObject({ requestViolations: [] });
}

describe('the contract tests can fail', () => {
  it('Prism reports a request that breaks the spec (no bearer key) as a violation', async () => {
    const res = await fetch(`${mocks[0]!.url}/api/dataframer/runs/abc/cancel/`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('sl-violations')).toContain('security');
  });
});

describe('DataFramer OpenAPI', () => {
  it('accepts our cancel (trailing slash, bearer) and its 204 becomes CANCELLED', async () => {
    expect(await cancel({ provider: 'DATAFRAMER', runId: '6f1c2d3e-run' })).toMatchObject({ __typename: 'CancelRunSuccess', outcome: 'CANCELLED' });
    expect(seen.map((s) => `${s.method} ${s.path} ${s.status}`)).toEqual(['POST /api/dataframer/runs/6f1c2d3e-run/cancel/ 204']);
    expectNoRequestViolations();
  });

  it('accepts an id with reserved characters, percent-encoded into one segment', async () => {
    expect(await cancel({ provider: 'DATAFRAMER', runId: 'a/b c?d' })).toMatchObject({ outcome: 'CANCELLED' });
    expect(seen[0]!.path).toBe('/api/dataframer/runs/a%2Fb%20c%3Fd/cancel/');
    expectNoRequestViolations();
  });

  it.each([
    [401, 'ProviderAuthError'],
    [404, 'RunNotFoundError'],
  ])('maps its documented %i to %s', async (code, typename) => {
    expect(await cancel({ provider: 'DATAFRAMER', runId: 'r1' }, code)).toMatchObject({ __typename: typename, providerHttpStatus: code });
    expectNoRequestViolations();
  });
});

describe('Retab OpenAPI', () => {
  it('accepts our cancel; a 200 whose lifecycle is still pending is CANCEL_REQUESTED', async () => {
    // Prism's static 200 has lifecycle {status: "pending"}: the cancel did not take effect yet.
    expect(await cancel({ provider: 'RETAB', runId: 'exprun_2' })).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCEL_REQUESTED',
      run: { lifecycle: { __typename: 'RunPending', providerStatus: 'pending' } },
    });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /v1/workflows/experiments/runs/exprun_2/cancel']);
    expectNoRequestViolations();
  });

  it('maps its documented 422 to InvalidRunInputError', async () => {
    expect(await cancel({ provider: 'RETAB', runId: 'exprun_2' }, 422)).toMatchObject({ __typename: 'InvalidRunInputError', providerHttpStatus: 422 });
    expectNoRequestViolations();
  });
});

describe('Playbook OpenAPI', () => {
  const input = { provider: 'PLAYBOOK', teamId: '7d5e0c2a-5b1e-4c3f-9a61-0c9f4f1d2e3a', runId: '0b8f3a52-8f0e-4d6b-a4a5-3f2c1e7d9b10' };

  it('accepts our cancel (UUIDs, x-api-key and JWT) and "Run successfully canceled." becomes CANCELLED', async () => {
    expect(await cancel(input)).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCELLED',
      run: { id: `playbook:${input.teamId}/${input.runId}`, teamId: input.teamId },
    });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([`POST /cancel/${input.teamId}/${input.runId}`]);
    expectNoRequestViolations();
  });

  it.each([
    [400, 'InvalidRunInputError'],
    [401, 'ProviderAuthError'],
    [402, 'ProviderPaymentRequiredError'],
    [403, 'ProviderForbiddenError'],
    [404, 'RunNotFoundError'],
    [500, 'ProviderUnavailableError'],
  ])('maps its documented %i to %s', async (code, typename) => {
    expect(await cancel(input, code)).toMatchObject({ __typename: typename, providerHttpStatus: code });
    expectNoRequestViolations();
  });
});

describe('Trigger.dev OpenAPI', () => {
  it('accepts our cancel and our pinned read; a run still pending after the cancel is CANCEL_REQUESTED', async () => {
    expect(await cancel({ provider: 'TRIGGER_DEV', runId: 'run_1234' })).toMatchObject({
      __typename: 'CancelRunSuccess',
      outcome: 'CANCEL_REQUESTED',
      run: { lifecycle: { __typename: 'RunPending', providerStatus: 'PENDING_VERSION' } },
    });
    expect(seen.map((s) => `${s.method} ${s.path} ${s.status}`)).toEqual(['POST /api/v2/runs/run_1234/cancel 200', 'GET /api/v3/runs/run_1234 200']);
    expectNoRequestViolations();
  });

  it.each([
    [400, 'InvalidRunInputError'],
    [401, 'ProviderAuthError'],
    [404, 'RunNotFoundError'],
  ])('maps its documented %i on cancel to %s', async (code, typename) => {
    expect(await cancel({ provider: 'TRIGGER_DEV', runId: 'run_1234' }, code, (m) => m === 'POST')).toMatchObject({
      __typename: typename,
      providerHttpStatus: code,
    });
    expectNoRequestViolations();
  });
});
