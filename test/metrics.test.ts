// Operators scrape /metrics: upstream requests by provider and answer, their latency, each
// circuit, each cancel's result. Over real HTTP against the DataFramer simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATAFRAMER_SANDBOX_KEY, startDataFramerSim } from '../src/sandbox/dataframer.js';
import { CANCEL_RUN, READ_RUN, startGateway, type TestGateway } from './support/gateway.js';

let sim: Awaited<ReturnType<typeof startDataFramerSim>>;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startDataFramerSim();
  gw = await startGateway({
    DATAFRAMER_API_KEY: DATAFRAMER_SANDBOX_KEY,
    DATAFRAMER_BASE_URL: sim.url,
    // Nothing listens here: every attempt fails without an answer.
    RETAB_API_KEY: 'rt_test_metrics',
    RETAB_BASE_URL: 'http://127.0.0.1:9',
    RUNGATE_UPSTREAM_MAX_ATTEMPTS: '1',
  });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

const scrape = async (g: TestGateway, headers: Record<string, string> = {}) => {
  const res = await fetch(new URL('/metrics', g.url), { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

describe('/metrics', () => {
  it('counts upstream requests by provider, method and answer, cancels by result, and shows each circuit', async () => {
    await gw.gql(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId: 'df-pending' } });
    await gw.gql(CANCEL_RUN, { input: { provider: 'DATAFRAMER', runId: 'df-succeeded' } });
    await gw.gql(READ_RUN, { id: 'dataframer:df-nope' });
    await gw.gql(READ_RUN, { id: 'retab:exprun_1' });

    const m = await scrape(gw);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain/);
    expect(m.text).toContain('rungate_upstream_requests_total{provider="DATAFRAMER",method="POST",status="204"} 1');
    expect(m.text).toContain('rungate_upstream_requests_total{provider="DATAFRAMER",method="POST",status="400"} 1');
    expect(m.text).toContain('rungate_upstream_requests_total{provider="DATAFRAMER",method="GET",status="404"} 1');
    expect(m.text).toContain('rungate_upstream_requests_total{provider="RETAB",method="GET",status="failed"} 1');
    expect(m.text).toContain('rungate_cancels_total{provider="DATAFRAMER",result="CANCELLED"} 1');
    expect(m.text).toContain('rungate_cancels_total{provider="DATAFRAMER",result="RUN_NOT_CANCELLABLE"} 1');
    expect(m.text).toMatch(/rungate_upstream_request_duration_seconds_count\{provider="DATAFRAMER"\} [1-9]/);
    expect(m.text).toContain('rungate_circuit_state{provider="DATAFRAMER"} 0');
    expect(m.text).toContain('rungate_circuit_state{provider="RETAB"} 0');
    expect(m.text).toMatch(/rungate_http_request_duration_seconds_count\{status="200"\} [1-9]/);
    expect(m.text).not.toContain(DATAFRAMER_SANDBOX_KEY);
  });

  it('needs a caller token when tokens are configured, like every other path', async () => {
    const token = 'metrics-scraper-token-77a1';
    const guarded = await startGateway({ RUNGATE_API_TOKENS: `prometheus=${token}:runs:read`, DATAFRAMER_API_KEY: 'k', DATAFRAMER_BASE_URL: sim.url });
    try {
      expect((await scrape(guarded)).status).toBe(401);
      expect((await scrape(guarded, { authorization: `Bearer ${token}` })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('is not served with RUNGATE_METRICS=0', async () => {
    const off = await startGateway({ RUNGATE_METRICS: '0' });
    try {
      expect((await scrape(off)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
