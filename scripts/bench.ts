// What the gateway costs on top of the providers, as ratios against a baseline measured in the same
// run on the same machine (absolute times on a shared 2-core box mean little):
//
//   npx tsx scripts/bench.ts [--requests 2000] [--concurrency 16] [--out BENCHMARK.md]
//
// Everything runs on 127.0.0.1 in this process: the five sandbox simulators (no added latency) and
// a gateway wired to them. Each scenario is measured twice: straight at the simulator with a
// keep-alive undici pool (the baseline: what calling the vendor yourself costs), then through the
// gateway, with the same client, request count and concurrency.
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { DATAFRAMER_SANDBOX_KEY } from '../src/sandbox/dataframer.js';
import { startSandbox } from '../src/sandbox/index.js';
import { RUNFLOW_SANDBOX_ADMIN_KEY } from '../src/sandbox/runflow.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const REQUESTS = Number(arg('requests', '2000'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const out = arg('out', '');

interface Shot {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Result {
  perSecond: number;
  p50: number;
  p99: number;
}

/** Sends `count` requests, `concurrency` at a time, and checks each answer with `ok`. */
async function load(origin: string, shot: () => Shot, ok: (status: number, body: string) => boolean, count = REQUESTS): Promise<Result> {
  const pool = new Pool(origin, { connections: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const s = shot();
      const t = performance.now();
      const res = await pool.request({ method: s.method, path: s.path, headers: s.headers, body: s.body });
      const text = await res.body.text();
      latencies.push(performance.now() - t);
      if (!ok(res.statusCode, text)) throw new Error(`unexpected answer ${res.statusCode}: ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { perSecond: count / seconds, p50: at(0.5), p99: at(0.99) };
}

const graphql = (query: string, variables?: Record<string, unknown>): Shot => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query, variables }),
});

async function main() {
  const sandbox = await startSandbox();
  for (const sim of sandbox.simulators) sim.latencyMs = 0;
  // Logging at info as in production (a line per upstream request and per cancel), into a sink.
  const config = { ...loadConfig({ RUNGATE_SANDBOX: '1', PORT: '0', LOG_LEVEL: 'info' }), providers: sandbox.providers };
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const gateway = createGateway(config, { logDestination: sink });
  const gatewayOrigin = new URL(await gateway.listen()).origin;
  const sim = (name: string) => sandbox.simulators.find((s) => s.name === name)!;
  const quiet = () => sandbox.simulators.forEach((s) => s.clearRequests());

  const DF_RUNS = ['df-pending', 'df-processing', 'df-succeeded', 'df-failed', 'df-canceled'];
  const fifty = Array.from({ length: 50 }, (_, i) => `dataframer:${DF_RUNS[i % DF_RUNS.length]}`);
  const fiftyDistinct = Array.from({ length: 50 }, (_, i) => `dataframer:df-bench-${i}`);
  const dfHeaders = { authorization: `Bearer ${DATAFRAMER_SANDBOX_KEY}` };
  const isRun = (body: string) => body.includes('"__typename":"Run"') && !body.includes('"errors"');

  const scenarios: { name: string; baseline: () => Promise<Result>; gateway: () => Promise<Result>; note: string }[] = [
    {
      name: 'read one run (DataFramer)',
      note: 'one GET upstream either way',
      baseline: () => load(sim('dataframer').url, () => ({ method: 'GET', path: '/api/dataframer/runs/df-succeeded/', headers: dfHeaders }), (s) => s === 200),
      gateway: () =>
        load(gatewayOrigin, () => graphql('query($id: ID!) { run(id: $id) { __typename ... on Run { id lifecycle { __typename } } } }', { id: 'dataframer:df-succeeded' }), (s, b) => s === 200 && isRun(b)),
    },
    {
      name: 'cancel an already-cancelled run (Runflow, 200)',
      note: 'one POST upstream either way',
      baseline: () =>
        load(sim('runflow').url, () => ({ method: 'POST', path: '/v1/admin/runs/01J0-canceled/cancellation', headers: { authorization: `Bearer ${RUNFLOW_SANDBOX_ADMIN_KEY}` } }), (s) => s === 200),
      gateway: () =>
        load(
          gatewayOrigin,
          () => graphql('mutation { cancelRun(input: { provider: RUNFLOW, runId: "01J0-canceled" }) { __typename ... on CancelRunSuccess { outcome } } }'),
          (s, b) => s === 200 && b.includes('ALREADY_CANCELLED'),
        ),
    },
    {
      name: 'runs(ids:) with 50 ids, 5 distinct',
      note: 'baseline: the 50 GETs a naive client sends; the gateway sends 5',
      baseline: () =>
        load(sim('dataframer').url, () => ({ method: 'GET', path: '/api/dataframer/runs/df-succeeded/', headers: dfHeaders }), (s) => s === 200, REQUESTS * 5),
      gateway: () =>
        load(gatewayOrigin, () => graphql('query($ids: [ID!]!) { runs(ids: $ids) { __typename } }', { ids: fifty }), (s, b) => s === 200 && !b.includes('"errors"'), REQUESTS / 10),
    },
    {
      name: 'runs(ids:) with 50 distinct ids (not found)',
      note: 'baseline: 50 GETs; the gateway sends the same 50 GETs',
      baseline: () =>
        load(sim('dataframer').url, () => ({ method: 'GET', path: '/api/dataframer/runs/df-bench-0/', headers: dfHeaders }), (s) => s === 404, REQUESTS * 5),
      gateway: () =>
        load(gatewayOrigin, () => graphql('query($ids: [ID!]!) { runs(ids: $ids) { __typename } }', { ids: fiftyDistinct }), (s, b) => s === 200 && b.includes('RunNotFoundError'), REQUESTS / 10),
    },
  ];

  const rows: string[] = [];
  for (const s of scenarios) {
    // Warm-up (connections, JIT), then measure the baseline and the gateway back to back.
    await s.baseline();
    await s.gateway();
    quiet();
    const base = await s.baseline();
    const gw = await s.gateway();
    const batch = s.name.startsWith('runs(');
    // For batches, compare the time one client-visible answer takes: 50 direct GETs vs one runs query.
    const unit = batch ? 50 : 1;
    const baseCost = (1000 * unit) / base.perSecond;
    const gwCost = 1000 / gw.perSecond;
    const row = `| ${s.name} | ${baseCost.toFixed(2)} ms | ${gwCost.toFixed(2)} ms | **${(gwCost / baseCost).toFixed(2)}×** | ${gw.p50.toFixed(1)} / ${gw.p99.toFixed(1)} ms | ${s.note} |`;
    rows.push(row);
    console.log(row);
  }
  await gateway.close();
  await sandbox.close();

  const report = `# Benchmark

Produced by \`npx tsx scripts/bench.ts${args.length ? ` ${args.join(' ')}` : ''}\` on ${new Date().toISOString()}: ${REQUESTS} requests per scenario
at concurrency ${CONCURRENCY}, on ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}. The client,
the gateway and the simulators share this one process and its cores, so only the **ratios** are meaningful: each
scenario's baseline (the same work sent straight to the simulator over a keep-alive pool) is measured in the same run,
right before the gateway.

"Cost" is wall time per client-visible answer at that concurrency (1 / throughput); for the \`runs\` rows one answer is
fifty runs, so the baseline is fifty direct GETs.

| scenario | baseline cost | through rungate | ratio | rungate p50 / p99 | upstream requests |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

A ratio above 1 is what the gateway adds (GraphQL parsing, validation, auth, limits, mapping, logging); with real
providers, whose answers take tens to hundreds of milliseconds, that share shrinks further. A ratio below 1 is
DataLoader at work: duplicate ids are read once.
`;
  if (out) {
    await writeFile(out, report);
    console.log(`wrote ${out}`);
  } else console.log(`\n${report}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
