// The README's start command as a newcomer runs it: no credentials -> sandbox mode, simulated
// providers on loopback, GraphiQL at /graphql, and a cancel at each of the five providers works.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_DEFAULT_QUERY } from '../src/server.js';

let child: ChildProcess;
let url: string;
let output = '';

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 30_000);
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
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
}, 40_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

const post = async (query: string) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: any; errors?: unknown[] };
};

describe('npm start with no credentials', () => {
  it('says it is in sandbox mode', () => {
    expect(output).toMatch(/sandbox mode/);
  });

  it('serves GraphiQL from the package (no CDN) with a ready-made cancelRun operation', async () => {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('GraphiQL');
    expect(html).toContain('cancelRun');
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr/);
  });

  it("GraphiQL's ready-made document is valid and runs as it stands", async () => {
    const res = await post(GRAPHIQL_DEFAULT_QUERY);
    expect(res.errors).toBeUndefined();
    expect(res.data.cancelRun).toMatchObject({ __typename: 'CancelRunSuccess', run: { id: 'dataframer:df-processing', lifecycle: { __typename: 'RunCancelled' } } });
    expect(['CANCELLED', 'ALREADY_CANCELLED']).toContain(res.data.cancelRun.outcome);
  });

  it('reports every provider configured', async () => {
    const res = await post('{ providers { provider configured supportsCancel supportsRead } }');
    expect(res.data.providers).toHaveLength(5);
    expect(res.data.providers.every((p: { configured: boolean }) => p.configured)).toBe(true);
  });

  it.each([
    ['DATAFRAMER', 'df-pending', ''],
    ['RETAB', 'exprun_running', ''],
    ['RUNFLOW', '01J0-running', ', reason: "sandbox tour"'],
    ['PLAYBOOK', '00000000-0000-4000-8000-000000000003', ', teamId: "7ea30000-0000-4000-8000-000000000001"'],
    ['TRIGGER_DEV', 'run_executing', ''],
  ])('cancels a seeded %s run', async (provider, runId, extra) => {
    const res = await post(`mutation { cancelRun(input: { provider: ${provider}, runId: "${runId}"${extra} }) {
      __typename ... on CancelRunSuccess { outcome run { provider lifecycle { __typename } } } ... on GatewayError { message } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.cancelRun).toMatchObject({ __typename: 'CancelRunSuccess', run: { provider } });
    expect(['CANCELLED', 'CANCEL_REQUESTED']).toContain(res.data.cancelRun.outcome);
  });

  it('shows at /sandbox/requests what the simulated providers received: fifty reads with duplicates cost one request per distinct id', async () => {
    const log = new URL('/sandbox/requests', url);
    expect((await fetch(log, { method: 'DELETE' })).status).toBe(204);
    const distinct = [
      ...['df-pending', 'df-processing', 'df-succeeded', 'df-failed', 'df-canceled'].map((r) => `dataframer:${r}`),
      ...['exprun_pending', 'exprun_queued', 'exprun_completed', 'exprun_error', 'exprun_cancelled'].map((r) => `retab:${r}`),
      ...['01J0-queued', '01J0-succeeded', '01J0-partial', '01J0-failed', '01J0-canceled'].map((r) => `runflow:${r}`),
      ...['run_queued', 'run_completed', 'run_failed', 'run_canceled', 'run_crashed'].map((r) => `trigger-dev:${r}`),
    ];
    const ids = Array.from({ length: 50 }, (_, i) => distinct[(i * 7) % distinct.length]!);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query($ids: [ID!]!) { runs(ids: $ids) { __typename ... on Run { id } } }', variables: { ids } }),
    });
    const body = (await res.json()) as { data: { runs: { __typename: string; id: string }[] } };
    expect(body.data.runs.map((r) => r.id)).toEqual(ids);

    const seen = (await (await fetch(log)).json()) as Record<string, { count: number; maxInFlight: number; requests: string[] }>;
    expect(seen.dataframer!.requests.sort()).toEqual(distinct.slice(0, 5).map((id) => `GET /api/dataframer/runs/${id.split(':')[1]}/`).sort());
    expect(seen.retab!.count).toBe(5);
    expect(seen.runflow!.count).toBe(5);
    expect(seen['trigger-dev']!.count).toBe(5);
    expect(seen.playbook!.count).toBe(0);
    for (const sim of Object.values(seen)) expect(sim.maxInFlight).toBeLessThanOrEqual(8);
    // In parallel, not one after another: each simulated answer takes 20 ms.
    expect(seen.dataframer!.maxInFlight).toBeGreaterThan(1);
    // Method and path only: the sandbox credentials in the headers are not shown.
    expect(JSON.stringify(seen)).not.toMatch(/authorization|bearer/i);
  });
});
