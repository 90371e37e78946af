// Browser and abuse limits, over real HTTP: CSRF prevention, CORS from an allow-list, limits on
// depth, aliases, tokens, ids per `runs` call and body size, and the introspection and GraphiQL
// switches. Every rejected document must fail before anything runs: a tripwire simulator stands
// in for every provider and records anything that reaches it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startSimulator, type Simulator } from '../src/sandbox/sim-server.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const TOKEN = 'limits-token-a81c44d0';
const APP = 'https://app.example.com';
const ADMIN = 'http://localhost:5173';

let tripwire: Simulator;
/** Production-like: a caller token, CORS for two origins, GraphiQL (and so introspection) on, default limits. */
let gw: TestGateway;
/** Anonymous, tight limits, introspection and GraphiQL off, no CORS. */
let tight: TestGateway;

const providers = () => ({
  DATAFRAMER_API_KEY: 'df-key-0001',
  RETAB_API_KEY: 'rt_test_key_0001',
  RUNFLOW_ADMIN_KEY: 'rf_svc_key_0001',
  TRIGGER_SECRET_KEY: 'tr_dev_key_0001',
  DATAFRAMER_BASE_URL: tripwire.url,
  RETAB_BASE_URL: tripwire.url,
  RUNFLOW_BASE_URL: tripwire.url,
  TRIGGER_BASE_URL: tripwire.url,
});

beforeAll(async () => {
  tripwire = await startSimulator('tripwire', () => ({ status: 500, body: { error: 'tripwire: no request should get here' } }));
  gw = await startGateway(
    {
      ...providers(),
      RUNGATE_API_TOKENS: `web=${TOKEN}:runs:read+runs:cancel`,
      RUNGATE_CORS_ORIGINS: `${APP}, ${ADMIN}`,
      RUNGATE_GRAPHIQL: '1',
    },
    { token: TOKEN },
  );
  tight = await startGateway({
    ...providers(),
    RUNGATE_MAX_DEPTH: '3',
    RUNGATE_MAX_ALIASES: '2',
    RUNGATE_MAX_TOKENS: '60',
    RUNGATE_MAX_REQUEST_BYTES: '4096',
    RUNGATE_INTROSPECTION: '0',
    RUNGATE_GRAPHIQL: '0',
  });
});
afterAll(async () => {
  await gw?.close();
  await tight?.close();
  await tripwire?.close();
});
beforeEach(() => tripwire.clearRequests());

const auth = { authorization: `Bearer ${TOKEN}` };
const cancel = (alias: string, runId: string) => `${alias}: cancelRun(input: { provider: RETAB, runId: "${runId}" }) { __typename }`;

function expectRejected(res: { data?: unknown; errors?: any[] }, message: RegExp) {
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.[0]?.message).toMatch(message);
  expect(JSON.stringify(res.errors)).not.toMatch(/stack|at .*\.ts:/);
  expect(tripwire.requests).toEqual([]);
}

describe('query depth', () => {
  it('a deep introspection chain is rejected at the default depth of 12', async () => {
    const chain = (n: number): string => (n === 0 ? 'name' : `ofType { ${chain(n - 1)} }`);
    const res = await gw.gql(`{ __type(name: "Run") { fields { type { ${chain(12)} } } } }`);
    expectRejected(res, /depth limit of 12 exceeded/);
    const ok = await gw.gql(`{ __type(name: "Run") { fields { type { ${chain(8)} } } } }`);
    expect(ok.errors).toBeUndefined();
  });

  it('RUNGATE_MAX_DEPTH rejects a deeper cancelRun before any upstream call', async () => {
    const res = await tight.gql(`mutation { cancelRun(input: { provider: RETAB, runId: "exprun_running" }) {
      ... on CancelRunSuccess { run { lifecycle { __typename } } } } }`);
    expectRejected(res, /depth limit of 3 exceeded/);
  });
});

describe('aliases', () => {
  it('31 aliased cancels are rejected at the default limit of 30, with no upstream call', async () => {
    const many = Array.from({ length: 31 }, (_, i) => cancel(`c${i}`, `exprun_${i}`)).join('\n');
    expectRejected(await gw.gql(`mutation { ${many} }`), /aliases limit of 30 exceeded/i);
  });

  it('30 aliases are accepted', async () => {
    const res = await gw.gql(`{ ${Array.from({ length: 30 }, (_, i) => `t${i}: __typename`).join(' ')} }`);
    expect(res.errors).toBeUndefined();
    expect(Object.keys(res.data)).toHaveLength(30);
  });

  it('RUNGATE_MAX_ALIASES applies', async () => {
    expectRejected(await tight.gql(`mutation { ${cancel('a', 'x')} ${cancel('b', 'y')} ${cancel('c', 'z')} }`), /aliases limit of 2 exceeded/i);
  });
});

describe('tokens and body size', () => {
  it('a document over 2000 tokens is rejected while parsing', async () => {
    const res = await gw.gql(`{ ${'__typename '.repeat(2100)} }`);
    expectRejected(res, /token limit of 2000 exceeded/i);
  });

  it('RUNGATE_MAX_TOKENS applies, to a token flood in a cancel too', async () => {
    const res = await tight.gql(`mutation { cancelRun(input: { provider: RETAB, runId: "x" }) { ${'__typename '.repeat(60)} } }`);
    expectRejected(res, /token limit of 60 exceeded/i);
  });

  it('a body over RUNGATE_MAX_REQUEST_BYTES gets 413', async () => {
    const res = await fetch(tight.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($r: String) { cancelRun(input: { provider: RUNFLOW, runId: "x", reason: $r }) { __typename } }', variables: { r: 'r'.repeat(5000) } }),
    });
    expect(res.status).toBe(413);
    expect(tripwire.requests).toEqual([]);
  });

  it('the default cap (2 MiB) refuses 3 MB and still lets a 1 MB reason reach the input rules', async () => {
    const big = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(3_000_000) } }),
    });
    expect(big.status).toBe(413);
    const res = await gw.gql(`mutation($r: String) { cancelRun(input: { provider: RUNFLOW, runId: "01J0RUN", reason: $r }) { __typename ... on InvalidRunInputError { field } } }`, {
      r: 'r'.repeat(1_000_000),
    });
    expect(res.data.cancelRun).toEqual({ __typename: 'InvalidRunInputError', field: 'reason' });
    expect(tripwire.requests).toEqual([]);
  });
});

describe('ids per runs call', () => {
  it('101 ids are rejected before any read', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `retab:exprun_${i}`);
    const res = await gw.gql('query($ids: [ID!]!) { runs(ids: $ids) { __typename } }', { ids });
    expectRejected(res, /at most 100 ids per request; this request asks for 101/);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('the 100-id cap holds across aliases, so they cannot multiply upstream reads', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `retab:exprun_${i}`);
    const res = await gw.gql('query($ids: [ID!]!) { a: runs(ids: $ids) { __typename } b: runs(ids: $ids) { __typename } }', { ids });
    expectRejected(res, /at most 100 ids per request; this request asks for 120/);
  });

  it('federation _entities representations count against the same cap', async () => {
    const r = Array.from({ length: 101 }, (_, i) => ({ __typename: 'Run', id: `retab:exprun_${i}` }));
    const res = await gw.gql('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r });
    expectRejected(res, /at most 100 ids per request; this request asks for 101/);
  });

  it('the refusal is a request error: HTTP 400 under application/graphql-response+json', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `retab:exprun_${i}`);
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: 'query($ids: [ID!]!) { runs(ids: $ids) { __typename } }', variables: { ids } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/at most 100 ids/);
    expect(tripwire.requests).toEqual([]);
  });
});

describe('CSRF prevention', () => {
  const get = (base: string, headers: Record<string, string>) => fetch(`${base}?query=${encodeURIComponent('{ __typename }')}`, { headers });

  it('a GET without the CSRF header is refused; with it, it runs', async () => {
    expect((await get(gw.url, auth)).status).toBe(403);
    expect((await get(tight.url, {})).status).toBe(403);
    const ok = await get(gw.url, { ...auth, 'x-graphql-yoga-csrf': '1' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])('a "simple" POST (%s) is refused', async (type) => {
    const res = await fetch(tight.url, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ query: `mutation { ${cancel('a', 'x')} }` }) });
    expect(res.status).toBe(403);
    expect(tripwire.requests).toEqual([]);
  });
});

describe('CORS allow-list', () => {
  const post = (base: string, origin: string, headers: Record<string, string> = auth) =>
    fetch(base, { method: 'POST', headers: { origin, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });

  it.each([APP, ADMIN])('an allowed origin (%s) gets Access-Control-Allow-Origin, and a preflight answer', async (origin) => {
    const res = await post(gw.url, origin);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const pre = await fetch(gw.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('an allowed origin can read a 401 too', async () => {
    const res = await post(gw.url, APP, {});
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it.each(['https://evil.example.com', 'https://app.example.com.evil.net', 'http://app.example.com', 'null'])('another origin (%s) gets no CORS headers', async (origin) => {
    const res = await post(gw.url, origin);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(gw.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('without RUNGATE_CORS_ORIGINS no origin gets CORS headers', async () => {
    const res = await post(tight.url, APP, {});
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['*', /entry 1 is "\*"/],
    ['https://app.example.com/', /exact origin/],
    ['https://app.example.com/path', /exact origin/],
    ['app.example.com', /not an origin/],
  ])('RUNGATE_CORS_ORIGINS=%s is a configuration error', (value, message) => {
    expect(() => loadConfig({ RUNGATE_CORS_ORIGINS: value })).toThrow(message);
  });
});

describe('introspection and GraphiQL switches', () => {
  it('defaults: both on in sandbox mode, both off outside it', () => {
    expect(loadConfig({}).api).toMatchObject({ graphiql: true, introspection: true, corsOrigins: [], maxDepth: 12, maxAliases: 30, maxTokens: 2000 });
    expect(loadConfig({ RUNGATE_SANDBOX: '0' }).api).toMatchObject({ graphiql: false, introspection: false });
    expect(loadConfig({ RUNGATE_SANDBOX: '0', RUNGATE_GRAPHIQL: '1' }).api).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ RUNGATE_SANDBOX: '0', RUNGATE_INTROSPECTION: '1' }).api).toMatchObject({ graphiql: false, introspection: true });
    expect(() => loadConfig({ RUNGATE_GRAPHIQL: '1', RUNGATE_INTROSPECTION: '0' })).toThrow(/RUNGATE_INTROSPECTION: .*GraphiQL needs introspection/);
    expect(() => loadConfig({ RUNGATE_GRAPHIQL: 'maybe' })).toThrow(/RUNGATE_GRAPHIQL/);
  });

  it('RUNGATE_INTROSPECTION=0 refuses __schema and __type; __typename still works', async () => {
    const schema = await tight.gql('{ __schema { types { name } } }');
    expect(schema.data ?? null).toBeNull();
    expect(schema.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await tight.gql('{ __type(name: "Run") { name } }')).errors?.[0]?.message).toMatch(/introspection/i);
    expect(await tight.gql('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
  });

  it('with introspection on, the schema can be read', async () => {
    const res = await gw.gql('{ __schema { queryType { name } } }');
    expect(res).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('RUNGATE_GRAPHIQL=0: no GraphiQL page', async () => {
    const res = await fetch(tight.url, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await res.text()).not.toContain('GraphiQL');
  });

  it('RUNGATE_GRAPHIQL=1: the page renders with CSRF prevention and tokens on, and holds no token', async () => {
    const res = await fetch(gw.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('GraphiQL');
    expect(html).toContain('YOUR_RUNGATE_TOKEN');
    expect(html).not.toContain(TOKEN);
  });
});
