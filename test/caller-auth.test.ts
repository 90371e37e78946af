// Caller authentication and scopes, over real HTTP: bearer tokens from RUNGATE_API_TOKENS, 401 for
// a missing or unknown token, FORBIDDEN for a missing scope, and neither ever reaching an upstream
// (a tripwire simulator records anything that gets through). Tokens never show in an answer, an
// error or a log line; the caller's name shows in the log line of every cancel.
import { spawn, spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { findCaller } from '../src/plugins/use-caller-auth.js';
import { DATAFRAMER_SANDBOX_KEY, startDataFramerSim } from '../src/sandbox/dataframer.js';
import { startSimulator, type Simulator } from '../src/sandbox/sim-server.js';
import { CANCEL_RUN, startGateway, type TestGateway } from './support/gateway.js';

// Canary values: none may ever appear in an answer, an error message or a log line.
const READER = 'rdr_canary_7c1e4b2a9d';
const CANCELLER = 'cnl_canary_52f0aa83e1';
const OPS = 'ops_canary_e93d61b04f';
const WRONG = 'wrong_canary_0b7d55c3aa';
const CANARIES = [READER, CANCELLER, OPS, WRONG];
const TOKENS = `reader=${READER}:runs:read, canceller=${CANCELLER}:runs:cancel, ops-bot=${OPS}:runs:read+runs:cancel`;

let tripwire: Simulator;
let dataframer: Simulator;
let gw: TestGateway;
/** Every response body this file received, for the canary check at the end. */
const seen: string[] = [];

beforeAll(async () => {
  tripwire = await startSimulator('tripwire', () => ({ status: 500, body: { error: 'tripwire: no request should get here' } }));
  dataframer = await startDataFramerSim();
  gw = await startGateway({
    RUNGATE_API_TOKENS: TOKENS,
    RUNGATE_ALLOW_ANONYMOUS: undefined,
    // Every log line the gateway can write, debug and trace included, goes into the canary check.
    LOG_LEVEL: 'trace',
    DATAFRAMER_API_KEY: DATAFRAMER_SANDBOX_KEY,
    DATAFRAMER_BASE_URL: dataframer.url,
    RETAB_API_KEY: 'rt_test_key_0001',
    RETAB_BASE_URL: tripwire.url,
    RUNFLOW_ADMIN_KEY: 'rf_svc_key_0001',
    RUNFLOW_BASE_URL: tripwire.url,
  });
});
afterAll(async () => {
  await gw?.close();
  await tripwire?.close();
  await dataframer?.close();
});
beforeEach(() => {
  tripwire.clearRequests();
  dataframer.clearRequests();
});

async function post(query: string, variables: Record<string, unknown> | undefined, headers: Record<string, string>) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  seen.push(text);
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as { data?: any; errors?: any[] } };
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const CANCEL_AT_RETAB = { input: { provider: 'RETAB', runId: 'exprun_running' } };
const READ_AT_RETAB = `{ run(id: "retab:exprun_running") { __typename } }`;

describe('a missing or unknown token: HTTP 401, before anything runs', () => {
  it.each([
    ['no Authorization header', {}, 'Bearer realm="rungate"'],
    ['an unknown token', bearer(WRONG), 'Bearer realm="rungate", error="invalid_token"'],
    ['a known token with one character more', bearer(`${OPS}x`), 'Bearer realm="rungate", error="invalid_token"'],
    ['a known token in another scheme', { authorization: `Basic ${OPS}` }, 'Bearer realm="rungate", error="invalid_token"'],
    ['"Bearer" without a token', { authorization: 'Bearer' }, 'Bearer realm="rungate", error="invalid_token"'],
    ['a token with a space inside', { authorization: `Bearer ${OPS} x` }, 'Bearer realm="rungate", error="invalid_token"'],
    ["GraphiQL's placeholder", { authorization: 'Bearer YOUR_RUNGATE_TOKEN' }, 'Bearer realm="rungate", error="invalid_token"'],
  ])('%s', async (_what, headers, challenge) => {
    const res = await post(CANCEL_RUN, CANCEL_AT_RETAB, headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(challenge);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/^Authentication (required|failed)/), extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(tripwire.requests).toEqual([]);
  });

  it('also for queries, GETs and introspection', async () => {
    expect((await post(READ_AT_RETAB, undefined, {})).status).toBe(401);
    expect((await post('{ __typename }', undefined, bearer(WRONG))).status).toBe(401);
    const get = await fetch(`${gw.url}?query=${encodeURIComponent('{ providers { provider } }')}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    seen.push(await get.text());
    expect(get.status).toBe(401);
    expect(tripwire.requests).toEqual([]);
  });

  it.each(['/x/graphql', '/?a=/graphql', '//graphql', '/graphql/', '/nope'])('on any path Yoga could serve GraphQL on (%s)', async (path) => {
    const res = await fetch(gw.url.replace(/\/graphql$/, path), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename _service { sdl } }' }),
    });
    seen.push(await res.text());
    expect(res.status).toBe(401);
  });

  it('the health endpoint stays open without a token', async () => {
    const res = await fetch(gw.url.replace(/\/graphql$/, '/health'));
    expect(res.status).toBe(200);
  });
});

describe('scopes: runs:read for queries, runs:cancel for cancelRun', () => {
  it('a runs:read token calling cancelRun gets FORBIDDEN and nothing reaches the provider', async () => {
    const res = await post(CANCEL_RUN, CANCEL_AT_RETAB, bearer(READER));
    expect(res.status).toBe(200);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ path: ['cancelRun'], extensions: { code: 'FORBIDDEN', requiredScope: 'runs:cancel' } });
    expect(res.body.errors![0].message).toMatch(/needs the runs:cancel scope/);
    expect(tripwire.requests).toEqual([]);
    expect(gw.logs.some((l) => /"msg":"cancelRun"/.test(l) && l.includes('"caller":"reader"'))).toBe(false);
  });

  it.each([
    ['run', READ_AT_RETAB],
    ['runs', `{ runs(ids: ["retab:exprun_running", "runflow:01J0-running"]) { __typename } }`],
    ['providers', `{ providers { provider configured } }`],
  ])('a runs:cancel token reading %s gets FORBIDDEN and nothing reaches the provider', async (field, query) => {
    const res = await post(query, undefined, bearer(CANCELLER));
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.[0]).toMatchObject({ path: [field], extensions: { code: 'FORBIDDEN', requiredScope: 'runs:read' } });
    expect(tripwire.requests).toEqual([]);
  });

  it('a runs:read token reads runs and providers', async () => {
    const res = await post(
      `{ run(id: "dataframer:df-succeeded") { __typename ... on Run { id lifecycle { __typename } } }
         providers { provider configured } }`,
      undefined,
      bearer(READER),
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.run).toEqual({ __typename: 'Run', id: 'dataframer:df-succeeded', lifecycle: { __typename: 'RunSucceeded' } });
    expect(res.body.data.providers).toHaveLength(5);
  });

  it('typed errors still come back in the unions for an authorized caller', async () => {
    const res = await post(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId: 'df-nope' } }, bearer(OPS));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.cancelRun).toMatchObject({ __typename: 'RunNotFoundError', code: 'RUN_NOT_FOUND' });
    const read = await post(`{ runs(ids: ["dataframer:df-nope", "bad id"]) { __typename } }`, undefined, bearer(READER));
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.runs).toEqual([{ __typename: 'RunNotFoundError' }, { __typename: 'InvalidRunInputError' }]);
  });

  it('a runs:cancel token cancels, and the log line of the cancel names the caller', async () => {
    const res = await post(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId: 'df-processing' } }, bearer(CANCELLER));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.cancelRun).toMatchObject({ __typename: 'CancelRunSuccess', outcome: 'CANCELLED', run: { id: 'dataframer:df-processing' } });
    expect(dataframer.requests.map((r) => `${r.method} ${r.path}`)).toContain('POST /api/dataframer/runs/df-processing/cancel/');
    const line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'cancelRun' && l.providerRunId === 'df-processing');
    expect(line).toMatchObject({ caller: 'canceller', provider: 'DATAFRAMER', outcome: 'CANCELLED' });
  });

  it('a failed cancel is logged with the caller too', async () => {
    await post(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId: 'df-succeeded' } }, bearer(OPS));
    const line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'cancelRun' && l.providerRunId === 'df-succeeded');
    expect(line).toMatchObject({ caller: 'ops-bot', provider: 'DATAFRAMER', error: 'RUN_NOT_CANCELLABLE' });
  });

  it('introspection and __typename need any valid token, not a particular scope', async () => {
    const res = await post('{ __typename }', undefined, bearer(CANCELLER));
    expect(res.body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('federation fields', () => {
  const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Run { id lifecycle { __typename } } } }`;

  it('_entities needs runs:read', async () => {
    const r = [{ __typename: 'Run', id: 'retab:exprun_running' }];
    const denied = await post(ENTITIES, { r }, bearer(CANCELLER));
    expect(denied.body.data?._entities ?? [null]).toEqual([null]);
    expect(denied.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN', requiredScope: 'runs:read' } });
    expect(tripwire.requests).toEqual([]);

    const ok = await post(ENTITIES, { r: [{ __typename: 'Run', id: 'dataframer:df-failed' }] }, bearer(READER));
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data._entities).toEqual([{ id: 'dataframer:df-failed', lifecycle: { __typename: 'RunFailed' } }]);
  });

  it('_service { sdl } answers any valid token (routers send one), and no one without', async () => {
    const res = await post('{ _service { sdl } }', undefined, bearer(CANCELLER));
    expect(res.body.data._service.sdl).toContain('type Run');
    expect((await post('{ _service { sdl } }', undefined, {})).status).toBe(401);
  });
});

describe('tokens are never shown', () => {
  it('the configuration keeps only digests', () => {
    const config = loadConfig({ RUNGATE_API_TOKENS: TOKENS });
    expect(config.api.tokens.map((t) => [t.name, [...t.scopes]])).toEqual([
      ['reader', ['runs:read']],
      ['canceller', ['runs:cancel']],
      ['ops-bot', ['runs:read', 'runs:cancel']],
    ]);
    const dump = inspect(config, { depth: 10 }) + JSON.stringify(config);
    for (const c of CANARIES) expect(dump).not.toContain(c);
    expect(findCaller(config.api.tokens, OPS)?.name).toBe('ops-bot');
    expect(findCaller(config.api.tokens, `${OPS} `)).toBeUndefined();
    expect(findCaller(config.api.tokens, '')).toBeUndefined();
  });

  it('no canary token in any answer or log line', () => {
    expect(seen.length).toBeGreaterThan(10);
    const everything = seen.join('\n') + gw.logs.join('\n');
    for (const c of CANARIES) expect(everything).not.toContain(c);
    // The 401s were logged, without the token.
    expect(gw.logs.some((l) => l.includes('caller not authenticated'))).toBe(true);
  });
});

describe('RUNGATE_API_TOKENS entries are checked at start, and the error never quotes a token', () => {
  const T = 'tok_canary_3f9a01bc';
  it.each([
    ['no "="', `ops-bot=${OPS}:runs:read,${T}:runs:read`, 2],
    ['no ":"', `${'ci'}=${T}`, 1],
    ['an empty name', `=${T}:runs:read`, 1],
    ['an empty token', `ci=:runs:read`, 1],
    ['an unknown scope', `ci=${T}:runs:write`, 1],
    ['an empty scope', `ci=${T}:runs:read+`, 1],
    ['a scope list that is not one', `ci=${T}:${T}`, 1],
    ['a duplicate name', `ci=${T}:runs:read,ci=${T}x:runs:read`, 2],
    ['a duplicate token', `a=${T}:runs:read,b=${T}:runs:cancel`, 2],
    ['an empty entry', `a=${T}:runs:read,,b=${T}x:runs:read`, 2],
    ['a name that is not a name', `Bearer ${T}=x:runs:read`, 1],
  ])('%s', (_what, value, position) => {
    let error: unknown;
    try {
      loadConfig({ RUNGATE_API_TOKENS: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('RUNGATE_API_TOKENS');
    expect((error as ConfigError).message).toMatch(new RegExp(`^RUNGATE_API_TOKENS: entry ${position}\\b`));
    expect((error as ConfigError).message).not.toContain(T);
    expect((error as ConfigError).message).not.toContain(OPS);
  });
});

describe('starting without tokens', () => {
  const node = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20_000 });

  it('outside sandbox mode the process refuses, in one line naming RUNGATE_API_TOKENS and RUNGATE_ALLOW_ANONYMOUS', () => {
    const run = node({ RETAB_API_KEY: 'rt_live_secret_value', PORT: '0' });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rungate: configuration error: RUNGATE_API_TOKENS: no caller tokens are set and this is not sandbox mode: .*RUNGATE_ALLOW_ANONYMOUS=1/);
    expect(run.stdout).not.toMatch(/listening/);
  });

  it('a malformed entry stops the process in one line, without the token', () => {
    const run = node({ RETAB_API_KEY: 'rt_live_secret_value', RUNGATE_API_TOKENS: `ci=${OPS}:runs:admin`, PORT: '0' });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rungate: configuration error: RUNGATE_API_TOKENS: entry 1 \("ci"\) has unknown scope "runs:admin"/);
    expect(run.stderr + run.stdout).not.toContain(OPS);
    expect(run.stderr + run.stdout).not.toContain('rt_live_secret_value');
  });

  it('with RUNGATE_ALLOW_ANONYMOUS=1 it starts, and says there is no caller authentication', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, RETAB_API_KEY: 'rt_live_x', RUNGATE_ALLOW_ANONYMOUS: '1', PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 20_000);
        const onData = (chunk: Buffer) => {
          output += chunk;
          const m = /listening on (http:\/\/\S+\/graphql)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      expect(output).toMatch(/no caller authentication/);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ providers { provider } }' }) });
      expect(res.status).toBe(200);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 30_000);

  it('in sandbox mode without tokens the gateway is open', async () => {
    const open = await startGateway({ RUNGATE_SANDBOX: '1', RUNGATE_ALLOW_ANONYMOUS: '0' });
    try {
      const res = await open.gql('{ providers { provider } }');
      expect(res.errors).toBeUndefined();
      expect(res.data.providers).toHaveLength(5);
    } finally {
      await open.close();
    }
  });

  it('in sandbox mode with tokens, the tokens are required', async () => {
    const locked = await startGateway({ RUNGATE_SANDBOX: '1', RUNGATE_API_TOKENS: `me=${OPS}:runs:read` });
    try {
      const denied = await fetch(locked.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(denied.status).toBe(401);
      const res = await locked.gql('{ providers { provider } }', undefined, bearer(OPS));
      expect(res.data.providers).toHaveLength(5);
    } finally {
      await locked.close();
    }
  });
});
