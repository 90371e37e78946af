// Five real simulators, a fault server in front of each, and one gateway whose five base URLs
// point at the fault servers: what the fault matrix, the soak and scripts/reliability.ts share.
// Nothing here imports vitest, so the script runs it outside the test runner.
import type { RunProvider } from '../../src/runs/domain.js';
import { DATAFRAMER_SANDBOX_KEY, dataframerSeeds, startDataFramerSim } from '../../src/sandbox/dataframer.js';
import {
  PLAYBOOK_SANDBOX_API_KEY,
  PLAYBOOK_SANDBOX_JWT,
  PLAYBOOK_SANDBOX_TEAM_ID,
  playbookRunId,
  playbookSeeds,
  startPlaybookSim,
} from '../../src/sandbox/playbook.js';
import { RETAB_SANDBOX_KEY, retabSeeds, startRetabSim } from '../../src/sandbox/retab.js';
import { RUNFLOW_SANDBOX_ADMIN_KEY, runflowSeeds, startRunflowSim } from '../../src/sandbox/runflow.js';
import type { Simulator } from '../../src/sandbox/sim-server.js';
import { TRIGGER_SANDBOX_SECRET_KEY, startTriggerDevSim, triggerDevSeeds } from '../../src/sandbox/trigger-dev.js';
import { startFaultServer, type FaultServer } from './fault-server.js';
import { startGateway, type TestGateway } from './gateway.js';

export const PROVIDERS: readonly RunProvider[] = ['DATAFRAMER', 'RETAB', 'RUNFLOW', 'PLAYBOOK', 'TRIGGER_DEV'];

export interface CancelInput {
  provider: RunProvider;
  runId: string;
  teamId?: string;
}

export interface ProviderRig {
  provider: RunProvider;
  sim: Simulator;
  fault: FaultServer;
  /** An in-flight run no one has cancelled yet: cancelling it answers CANCELLED (wraps after `freshRuns`). */
  fresh(): CancelInput;
  /** Whether an upstream request is this provider's cancel (the request a cancel-phase fault hits). */
  isCancel(req: { method: string; path: string }): boolean;
  /** Whether an upstream request is a read of one run (what a read-phase fault hits). */
  isRead(req: { method: string; path: string }): boolean;
  /** A run whose cancel is followed by a read, for read-phase faults (undefined: the cancel never reads). */
  cancelThatReads?: () => CancelInput;
  /** Global ids of seeded runs, for `run(id:)` reads. */
  readableIds: string[];
}

export interface Rig {
  gw: TestGateway;
  providers: Record<RunProvider, ProviderRig>;
  /** The gateway's settings, as passed in its environment. */
  timeoutMs: number;
  concurrency: number;
  /** Closes the gateway alone (idempotent), leaving simulators and fault servers up to observe its sockets close. */
  closeGateway(): Promise<void>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** RUNGATE_UPSTREAM_TIMEOUT_MS (default 1000). */
  timeoutMs?: number;
  /** RUNGATE_UPSTREAM_CONCURRENCY (default 8, the gateway's default). */
  concurrency?: number;
  /** In-flight runs seeded per provider for `fresh()` (default 400). */
  freshRuns?: number;
  /** LOG_LEVEL (default info: the matrix counts attempts from the gateway's log lines). */
  logLevel?: string;
  /** Extra gateway environment. */
  env?: Record<string, string>;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const concurrency = options.concurrency ?? 8;
  const n = options.freshRuns ?? 400;
  const now = Date.now();

  // Each simulator gets its documented seeds plus `n` in-flight runs cloned from a seeded one.
  const df = dataframerSeeds(now);
  const dfTemplate = df.find((r) => r.id === 'df-processing')!;
  const rt = retabSeeds(now);
  const rtTemplate = rt.find((r) => r.id === 'exprun_running')!;
  const rf = runflowSeeds(now);
  const rfTemplate = rf.find((r) => r.id === '01J0-running')!;
  const pb = playbookSeeds(now);
  const pbTemplate = pb.find((r) => r.status === 'running' && !r.scenario)!;
  const tr = triggerDevSeeds(now);
  const trTemplate = tr.find((r) => r.id === 'run_executing')!;

  const [dfSim, rtSim, rfSim, pbSim, trSim] = await Promise.all([
    startDataFramerSim({ seeds: [...df, ...range(n).map((i) => ({ ...dfTemplate, id: `df-fault-${i}` }))] }),
    startRetabSim({ seeds: [...rt, ...range(n).map((i) => ({ ...rtTemplate, id: `exprun_fault_${i}` }))] }),
    startRunflowSim({ seeds: [...rf, ...range(n).map((i) => ({ ...rfTemplate, id: `01J0-fault-${i}` }))] }),
    startPlaybookSim({ seeds: [...pb, ...range(n).map((i) => ({ ...pbTemplate, id: playbookRunId(String(100_000 + i)) }))] }),
    startTriggerDevSim({ seeds: [...tr, ...range(n).map((i) => ({ ...structuredClone(trTemplate), id: `run_fault_${i}` }))] }),
  ]);
  const sims: Record<RunProvider, Simulator> = { DATAFRAMER: dfSim, RETAB: rtSim, RUNFLOW: rfSim, PLAYBOOK: pbSim, TRIGGER_DEV: trSim };
  const faults = Object.fromEntries(
    await Promise.all(PROVIDERS.map(async (p) => [p, await startFaultServer(sims[p].url)] as const)),
  ) as Record<RunProvider, FaultServer>;

  const gw = await startGateway({
    LOG_LEVEL: options.logLevel ?? 'info',
    RUNGATE_UPSTREAM_TIMEOUT_MS: String(timeoutMs),
    RUNGATE_UPSTREAM_CONCURRENCY: String(concurrency),
    DATAFRAMER_API_KEY: DATAFRAMER_SANDBOX_KEY,
    DATAFRAMER_BASE_URL: faults.DATAFRAMER.url,
    RETAB_API_KEY: RETAB_SANDBOX_KEY,
    RETAB_BASE_URL: faults.RETAB.url,
    RUNFLOW_ADMIN_KEY: RUNFLOW_SANDBOX_ADMIN_KEY,
    RUNFLOW_BASE_URL: faults.RUNFLOW.url,
    PLAYBOOK_API_KEY: PLAYBOOK_SANDBOX_API_KEY,
    PLAYBOOK_JWT: PLAYBOOK_SANDBOX_JWT,
    PLAYBOOK_BASE_URL: faults.PLAYBOOK.url,
    TRIGGER_SECRET_KEY: TRIGGER_SANDBOX_SECRET_KEY,
    TRIGGER_BASE_URL: faults.TRIGGER_DEV.url,
    // Caller authentication, where the gateway has it, is not what these suites are about.
    RUNGATE_ALLOW_ANONYMOUS: '1',
    ...options.env,
  });

  const counter = () => {
    let i = 0;
    return () => i++ % n;
  };
  const next = { DATAFRAMER: counter(), RETAB: counter(), RUNFLOW: counter(), PLAYBOOK: counter(), TRIGGER_DEV: counter() };
  const path = (req: { path: string }) => req.path.split('?')[0] ?? '';
  const pbTeam = PLAYBOOK_SANDBOX_TEAM_ID;

  const providers: Record<RunProvider, ProviderRig> = {
    DATAFRAMER: {
      provider: 'DATAFRAMER',
      sim: dfSim,
      fault: faults.DATAFRAMER,
      fresh: () => ({ provider: 'DATAFRAMER', runId: `df-fault-${next.DATAFRAMER()}` }),
      isCancel: (r) => r.method === 'POST' && /^\/api\/dataframer\/runs\/[^/]+\/cancel\/$/.test(path(r)),
      isRead: (r) => r.method === 'GET' && /^\/api\/dataframer\/runs\/[^/]+\/$/.test(path(r)),
      // Already CANCELED: the cancel answers 400 "Cannot cancel job" and the adapter reads the run.
      cancelThatReads: () => ({ provider: 'DATAFRAMER', runId: 'df-canceled' }),
      readableIds: ['df-pending', 'df-processing', 'df-succeeded', 'df-failed', 'df-canceled', 'df-nope'].map((id) => `dataframer:${id}`),
    },
    RETAB: {
      provider: 'RETAB',
      sim: rtSim,
      fault: faults.RETAB,
      fresh: () => ({ provider: 'RETAB', runId: `exprun_fault_${next.RETAB()}` }),
      isCancel: (r) => r.method === 'POST' && /^\/v1\/workflows\/experiments\/runs\/[^/]+\/cancel$/.test(path(r)),
      isRead: (r) => r.method === 'GET' && /^\/v1\/workflows\/experiments\/runs\/[^/]+$/.test(path(r)),
      // Completed: the cancel answers 404 and the adapter reads the run to tell why.
      cancelThatReads: () => ({ provider: 'RETAB', runId: 'exprun_completed' }),
      readableIds: ['exprun_running', 'exprun_completed', 'exprun_error', 'exprun_cancelled', 'exprun_nope'].map((id) => `retab:${id}`),
    },
    RUNFLOW: {
      provider: 'RUNFLOW',
      sim: rfSim,
      fault: faults.RUNFLOW,
      fresh: () => ({ provider: 'RUNFLOW', runId: `01J0-fault-${next.RUNFLOW()}` }),
      isCancel: (r) => r.method === 'POST' && /^\/v1\/admin\/runs\/[^/]+\/cancellation$/.test(path(r)),
      isRead: (r) => r.method === 'GET' && /^\/v1\/runs\/[^/]+$/.test(path(r)),
      readableIds: ['01J0-queued', '01J0-running', '01J0-succeeded', '01J0-failed', '01J0-canceled', '01J0-nope'].map((id) => `runflow:${id}`),
    },
    PLAYBOOK: {
      provider: 'PLAYBOOK',
      sim: pbSim,
      fault: faults.PLAYBOOK,
      fresh: () => ({ provider: 'PLAYBOOK', teamId: pbTeam, runId: playbookRunId(String(100_000 + next.PLAYBOOK())) }),
      isCancel: (r) => r.method === 'POST' && /^\/cancel\/[^/]+\/[^/]+$/.test(path(r)),
      isRead: () => false,
      // Playbook documents no read: run(id:) answers OperationNotSupportedError without an upstream call.
      readableIds: [`playbook:${pbTeam}/${playbookRunId('4')}`],
    },
    TRIGGER_DEV: {
      provider: 'TRIGGER_DEV',
      sim: trSim,
      fault: faults.TRIGGER_DEV,
      fresh: () => ({ provider: 'TRIGGER_DEV', runId: `run_fault_${next.TRIGGER_DEV()}` }),
      isCancel: (r) => r.method === 'POST' && /^\/api\/v2\/runs\/[^/]+\/cancel$/.test(path(r)),
      isRead: (r) => r.method === 'GET' && /^\/api\/v3\/runs\/[^/]+$/.test(path(r)),
      // Every Trigger.dev cancel reads the run back: its 200 says nothing about the outcome.
      cancelThatReads: () => ({ provider: 'TRIGGER_DEV', runId: `run_fault_${next.TRIGGER_DEV()}` }),
      readableIds: ['run_executing', 'run_completed', 'run_failed', 'run_canceled', 'run_nope'].map((id) => `trigger-dev:${id}`),
    },
  };

  let gatewayClosed: Promise<void> | undefined;
  const closeGateway = () => (gatewayClosed ??= gw.close());
  let closed: Promise<void> | undefined;
  return {
    gw,
    providers,
    timeoutMs,
    concurrency,
    closeGateway,
    close: () =>
      (closed ??= (async () => {
        await closeGateway();
        await Promise.all(PROVIDERS.map((p) => faults[p].close()));
        await Promise.all(PROVIDERS.map((p) => sims[p].close()));
      })()),
  };
}

/** What the faults test and the script select on a cancel: every field a fault can change. */
export const CANCEL = /* GraphQL */ `
  mutation Cancel($input: CancelRunInput!) {
    cancelRun(input: $input) {
      __typename
      ... on GatewayError { code message }
      ... on CancelRunSuccess { outcome run { id lifecycle { __typename } } }
      ... on RunNotCancellableError { providerHttpStatus run { id lifecycle { __typename } } }
      ... on RunNotFoundError { providerHttpStatus }
      ... on InvalidRunInputError { field providerHttpStatus }
      ... on ProviderRateLimitedError { providerHttpStatus retryAfterSeconds }
      ... on ProviderUnavailableError { providerHttpStatus retryable }
    }
  }
`;

/** Posts one GraphQL request; the HTTP status and the parsed answer, whatever they are. */
export async function post(url: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = { unparsable: text.slice(0, 200) };
  }
  return { status: res.status, body, ms: performance.now() - started };
}
