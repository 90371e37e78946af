// Simulated Trigger.dev, per the v3 REST API (trigger.dev/docs/management, docs/v3-openapi.yaml) and the
// webapp's routes (triggerdotdev/trigger.dev: api.v2.runs.$runParam.cancel.ts, api.v3.runs.$runId.ts,
// ApiRetrieveRunPresenter, ApiRunListPresenter, routeBuilders/apiBuilder, authorizationRateLimitMiddleware):
//
// - POST /api/v2/runs/{runId}/cancel answers 200 {"id": runId} whether or not anything changed; a
//   finished run is left as it was ("this will have no effect").
// - GET /api/v3/runs/{runId} answers the run. Its `status` vocabulary depends on the request's
//   x-trigger-api-version header: exactly "2025-07-16" selects the SDK's set (DEQUEUED, WAITING;
//   INTERRUPTED folds into FAILED), anything else the older unversioned set (REATTEMPTING, FROZEN,
//   INTERRUPTED, WAITING_FOR_DEPLOY). Runs are stored with the server's internal TaskRunStatus and
//   mapped per request, exactly as the presenter does.
// - GET /api/v1/runs lists the key's environment: {data, pagination: {next, previous}}.
// - Bearer secret key. Every /api answer carries x-ratelimit-limit/-remaining/-reset (reset in epoch
//   MILLISECONDS); a 429 is application/problem+json and has no Retry-After.
import { bearer, match, startSimulator, type SimRequest, type SimResponse, type Simulator } from './sim-server.js';
import { minutesAgo, type Scenario } from './scenarios.js';

export const TRIGGER_SANDBOX_SECRET_KEY = 'tr_dev_sandbox_rungate_0000000000000000';

/** The header value the official SDK sends; any other value (or none) selects the unversioned statuses. */
export const TRIGGER_CURRENT_API_VERSION = '2025-07-16';

/** The webapp's internal run status (the database enum); the API never shows these directly. */
export type TaskRunStatus =
  | 'DELAYED'
  | 'PENDING'
  | 'PENDING_VERSION'
  | 'WAITING_FOR_DEPLOY'
  | 'DEQUEUED'
  | 'EXECUTING'
  | 'WAITING_TO_RESUME'
  | 'RETRYING_AFTER_FAILURE'
  | 'PAUSED'
  | 'CANCELED'
  | 'INTERRUPTED'
  | 'COMPLETED_SUCCESSFULLY'
  | 'COMPLETED_WITH_ERRORS'
  | 'SYSTEM_FAILURE'
  | 'CRASHED'
  | 'EXPIRED'
  | 'TIMED_OUT';

/** Final internal statuses: cancelling such a run is a no-op (CancelTaskRunService's `alreadyFinished`). */
const FINAL: ReadonlySet<TaskRunStatus> = new Set([
  'CANCELED',
  'INTERRUPTED',
  'COMPLETED_SUCCESSFULLY',
  'COMPLETED_WITH_ERRORS',
  'SYSTEM_FAILURE',
  'CRASHED',
  'EXPIRED',
  'TIMED_OUT',
]);

/**
 * How a seeded run fails. The generic scenarios as Trigger.dev renders them, plus:
 * `unavailable` = 503 "Run materialisation timed out" (a buffered run that was just triggered),
 * `internal-error` = 500 "Internal Server Error", `run-gone` = the cancel action's own 404 "Run not found".
 */
export type TriggerDevScenario = Exclude<Scenario, 'payment-required'> | 'internal-error' | 'run-gone';

export interface TriggerDevSerializedError {
  message: string;
  name?: string;
  stackTrace?: string;
}

export interface TriggerDevRun {
  id: string;
  status: TaskRunStatus;
  taskIdentifier: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  delayedUntil?: string;
  expiredAt?: string;
  ttl?: string;
  error?: TriggerDevSerializedError;
  attemptCount: number;
  tags: string[];
  /**
   * Answer with the unversioned vocabulary whatever x-trigger-api-version says, as a self-hosted
   * webapp that predates API versioning does. Lets one sandbox show REATTEMPTING, FROZEN,
   * INTERRUPTED and WAITING_FOR_DEPLOY to a client that pins 2025-07-16.
   */
  ignoresApiVersion?: boolean;
  /**
   * Cancelling is asynchronous on the workers: after a cancel the run keeps EXECUTING this long,
   * then becomes CANCELED (finishedAt = that moment).
   */
  cancelDelayMs?: number;
  /** When a pending (asynchronous) cancel was accepted, epoch ms. */
  cancelRequestedAt?: number;
  scenario?: TriggerDevScenario;
}

type Run = TriggerDevRun;

/** Seeded runs: every status literal of both vocabularies, the documented failures, the quirks. */
export function triggerDevSeeds(now = Date.now()): TriggerDevRun[] {
  const base = (id: string, status: TaskRunStatus, extra: Partial<Run> = {}): Run => ({
    id,
    status,
    taskIdentifier: 'sandbox-task',
    createdAt: minutesAgo(now, 60),
    updatedAt: minutesAgo(now, FINAL.has(status) ? 30 : 1),
    attemptCount: 0,
    tags: [],
    ...extra,
  });
  const started = { startedAt: minutesAgo(now, 55), attemptCount: 1 };
  const finished = { ...started, finishedAt: minutesAgo(now, 30) };
  const internal = (code: string): TriggerDevSerializedError => ({ message: `trigger.dev internal error (${code})` });
  return [
    // One per status, named after what the SDK's vocabulary (x-trigger-api-version: 2025-07-16) shows.
    base('run_pending_version', 'PENDING_VERSION'),
    base('run_waiting_for_deploy', 'WAITING_FOR_DEPLOY'), // 2025-07-16: PENDING_VERSION
    base('run_delayed', 'DELAYED', { delayedUntil: new Date(now + 60 * 60_000).toISOString() }),
    base('run_queued', 'PENDING'), // QUEUED in both vocabularies
    base('run_dequeued', 'DEQUEUED'), // unversioned: EXECUTING
    base('run_executing', 'EXECUTING', started),
    base('run_reattempting', 'RETRYING_AFTER_FAILURE', { ...started, attemptCount: 2 }), // 2025-07-16: EXECUTING
    base('run_waiting', 'WAITING_TO_RESUME', started), // unversioned: FROZEN
    base('run_completed', 'COMPLETED_SUCCESSFULLY', finished),
    base('run_canceled', 'CANCELED', finished), // cancelled 30 minutes ago: a new cancel is ALREADY_CANCELLED
    base('run_failed', 'COMPLETED_WITH_ERRORS', {
      ...finished,
      attemptCount: 3,
      error: {
        name: 'Error',
        message: 'Upstream API answered 502 Bad Gateway',
        stackTrace: 'Error: Upstream API answered 502 Bad Gateway\n    at run (src/trigger/sandbox-task.ts:12:11)',
      },
    }),
    base('run_interrupted', 'INTERRUPTED', finished), // 2025-07-16: FAILED
    base('run_crashed', 'CRASHED', { ...finished, error: internal('TASK_PROCESS_OOM_KILLED') }),
    base('run_system_failure', 'SYSTEM_FAILURE', { ...finished, error: internal('TASK_RUN_HEARTBEAT_TIMEOUT') }),
    base('run_expired', 'EXPIRED', { ttl: '10m', expiredAt: minutesAgo(now, 50), finishedAt: minutesAgo(now, 50) }),
    base('run_timed_out', 'TIMED_OUT', { ...finished, error: internal('MAX_DURATION_EXCEEDED') }),
    // The unversioned literals, shown whatever the client's header says (an older self-hosted webapp).
    base('run_v1_waiting_for_deploy', 'WAITING_FOR_DEPLOY', { ignoresApiVersion: true }),
    base('run_v1_reattempting', 'RETRYING_AFTER_FAILURE', { ...started, attemptCount: 2, ignoresApiVersion: true }),
    base('run_v1_frozen', 'PAUSED', { ...started, ignoresApiVersion: true }),
    base('run_v1_interrupted', 'INTERRUPTED', { ...finished, ignoresApiVersion: true }),
    // Quirks.
    base('run_slow_cancel', 'EXECUTING', { ...started, cancelDelayMs: 3_000 }), // EXECUTING for 3 s after a cancel
    base('run_buffered', 'PENDING', { scenario: 'unavailable' }), // cancel: 503 "Run materialisation timed out"
    base('run_vanished', 'EXECUTING', { ...started, scenario: 'run-gone' }), // cancel: 404 "Run not found"
    // Failures.
    base('run_unauthorized', 'EXECUTING', { ...started, scenario: 'unauthorized' }),
    base('run_forbidden', 'EXECUTING', { ...started, scenario: 'forbidden' }),
    base('run_conflict', 'EXECUTING', { ...started, scenario: 'conflict' }),
    base('run_rate_limited', 'EXECUTING', { ...started, scenario: 'rate-limited' }),
    base('run_server_error', 'EXECUTING', { ...started, scenario: 'internal-error' }),
    base('run_invalid', 'EXECUTING', { ...started, scenario: 'invalid' }),
  ];
}

/** The default limit of the API (docs/limits.mdx): 1,500 requests per minute per key. */
const RATE_LIMIT = 1_500;
const RATE_WINDOW_MS = 60_000;
/** The seeded rate-limited run says the limit lifts this long after its answer. */
const SCENARIO_RESET_MS = 30_000;

export async function startTriggerDevSim(options: { apiKey?: string; seeds?: TriggerDevRun[]; port?: number } = {}): Promise<
  Simulator & { runs: Map<string, TriggerDevRun> }
> {
  const apiKey = options.apiKey ?? TRIGGER_SANDBOX_SECRET_KEY;
  const runs = new Map((options.seeds ?? triggerDevSeeds()).map((r) => [r.id, structuredClone(r)]));
  // Fixed windows per Authorization value, like the webapp's limiter (which keys on a hash of it).
  const windows = new Map<string, { start: number; count: number }>();

  const sim = await startSimulator(
    'trigger-dev',
    (req): SimResponse => {
      const now = Date.now();
      const authorization = req.headers.authorization;
      // The rate-limit middleware runs before any route and rejects a request with no Authorization at all.
      if (!authorization) {
        return problem(401, {
          title: 'Unauthorized',
          status: 401,
          type: 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/401',
          detail: 'No authorization header provided',
          error: 'No authorization header provided',
        });
      }
      let window = windows.get(authorization);
      if (!window || now >= window.start + RATE_WINDOW_MS) windows.set(authorization, (window = { start: now, count: 0 }));
      window.count += 1;
      const limitHeaders = rateLimitHeaders(RATE_LIMIT - window.count, window.start + RATE_WINDOW_MS);
      const answer = (res: SimResponse): SimResponse => ({ ...res, headers: { ...limitHeaders, ...res.headers } });
      if (window.count > RATE_LIMIT) return rateLimited(window.start + RATE_WINDOW_MS, RATE_LIMIT, window.count - RATE_LIMIT, now);

      if (bearer(req) !== apiKey) return answer({ status: 401, body: { error: 'Invalid or Missing API key' } });

      if (match(req.segments, '/api/v1/runs')) {
        return answer(req.method === 'GET' ? list(req, runs, now) : methodNotAllowed());
      }
      const cancel = match(req.segments, '/api/v2/runs/:runId/cancel');
      const retrieve = match(req.segments, '/api/v3/runs/:runId');
      const runId = cancel?.runId ?? retrieve?.runId;
      if (runId === undefined) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
      if ((cancel && req.method !== 'POST') || (retrieve && req.method !== 'GET')) return answer(methodNotAllowed());

      const run = runs.get(runId);
      if (!run) {
        // The route builder's findResource miss; only the retrieve route sets shouldRetryNotFound.
        return answer({
          status: 404,
          headers: { 'x-should-retry': retrieve ? 'true' : 'false' },
          body: { error: 'Resource not found' },
        });
      }
      settle(run, now);
      if (run.scenario) {
        const failure = scenarioResponse(run.scenario, cancel !== undefined, now);
        if (failure) return failure.status === 429 ? failure : answer(failure);
      }
      if (retrieve) return answer({ status: 200, body: retrieveBody(run, apiVersionOf(req, run)) });

      // Cancel: finished runs are left alone; in-progress runs are cancelled, at once or (for a run
      // whose worker must acknowledge) after a delay. The answer is the same either way.
      if (!FINAL.has(run.status)) {
        if (run.cancelDelayMs) {
          run.cancelRequestedAt ??= now;
          settle(run, now);
        } else {
          run.status = 'CANCELED';
          run.finishedAt = new Date(now).toISOString();
          run.updatedAt = run.finishedAt;
        }
      }
      return answer({ status: 200, body: { id: runId } });
    },
    options.port,
  );
  return Object.assign(sim, { runs });
}

/** Applies a pending asynchronous cancel once its delay has passed. */
function settle(run: Run, now: number): void {
  if (run.cancelRequestedAt === undefined || FINAL.has(run.status)) return;
  const at = run.cancelRequestedAt + (run.cancelDelayMs ?? 0);
  if (now < at) return;
  run.status = 'CANCELED';
  run.finishedAt = new Date(at).toISOString();
  run.updatedAt = run.finishedAt;
}

type ApiVersion = typeof TRIGGER_CURRENT_API_VERSION | 'none';

function apiVersionOf(req: SimRequest, run?: Run): ApiVersion {
  if (run?.ignoresApiVersion) return 'none';
  return req.headers['x-trigger-api-version'] === TRIGGER_CURRENT_API_VERSION ? TRIGGER_CURRENT_API_VERSION : 'none';
}

/** ApiRetrieveRunPresenter.apiStatusFromRunStatusV2 / V1. */
export function apiStatus(status: TaskRunStatus, version: ApiVersion): string {
  if (version === TRIGGER_CURRENT_API_VERSION) {
    switch (status) {
      case 'WAITING_FOR_DEPLOY':
        return 'PENDING_VERSION';
      case 'PENDING':
        return 'QUEUED';
      case 'PAUSED':
      case 'WAITING_TO_RESUME':
        return 'WAITING';
      case 'RETRYING_AFTER_FAILURE':
        return 'EXECUTING';
      case 'COMPLETED_SUCCESSFULLY':
        return 'COMPLETED';
      case 'INTERRUPTED':
      case 'COMPLETED_WITH_ERRORS':
        return 'FAILED';
      default:
        return status;
    }
  }
  switch (status) {
    case 'PENDING':
      return 'QUEUED';
    case 'PAUSED':
    case 'WAITING_TO_RESUME':
      return 'FROZEN';
    case 'RETRYING_AFTER_FAILURE':
      return 'REATTEMPTING';
    case 'DEQUEUED':
      return 'EXECUTING';
    case 'COMPLETED_SUCCESSFULLY':
      return 'COMPLETED';
    case 'COMPLETED_WITH_ERRORS':
      return 'FAILED';
    default:
      return status;
  }
}

/** ApiRetrieveRunPresenter.apiBooleanHelpersFromRunStatus: note EXPIRED and TIMED_OUT are not "completed". */
function booleanHelpers(status: string) {
  const isQueued = ['QUEUED', 'WAITING_FOR_DEPLOY', 'DELAYED', 'PENDING_VERSION'].includes(status);
  const isExecuting = ['EXECUTING', 'REATTEMPTING', 'FROZEN', 'DEQUEUED'].includes(status);
  const isCompleted = ['COMPLETED', 'CANCELED', 'FAILED', 'CRASHED', 'INTERRUPTED', 'SYSTEM_FAILURE'].includes(status);
  return {
    isQueued,
    isExecuting,
    isCompleted,
    isFailed: isCompleted && status !== 'COMPLETED',
    isSuccess: isCompleted && status === 'COMPLETED',
    isCancelled: status === 'CANCELED',
    isWaiting: status === 'WAITING',
  };
}

/** createCommonRunStructure: the fields a list item and a retrieved run share. */
function commonRun(run: Run, version: ApiVersion) {
  const status = apiStatus(run.status, version);
  return {
    id: run.id,
    taskIdentifier: run.taskIdentifier,
    version: '20261121.1',
    status,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
    expiredAt: run.expiredAt,
    delayedUntil: run.delayedUntil,
    ttl: run.ttl,
    costInCents: 0,
    baseCostInCents: 0,
    durationMs: run.startedAt ? 1_250 : 0,
    isTest: false,
    depth: 0,
    tags: [...run.tags].sort(),
    ...booleanHelpers(status),
    triggerFunction: 'trigger',
    metadata: {},
  };
}

function retrieveBody(run: Run, version: ApiVersion) {
  return {
    ...commonRun(run, version),
    payload: { sandbox: true },
    output: run.status === 'COMPLETED_SUCCESSFULLY' ? { ok: true } : undefined,
    error: run.error,
    // The server no longer returns attempts (always []); attemptCount replaces them.
    attemptCount: run.attemptCount,
    attempts: [],
    relatedRuns: { children: [] },
  };
}

/** GET /api/v1/runs: newest first, cursor pagination by run id, `filter[status]` in the request's vocabulary. */
function list(req: SimRequest, runs: Map<string, Run>, now: number): SimResponse {
  const query = new URLSearchParams(req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : '');
  const version = apiVersionOf(req);
  const details: { code: string; message: string; path: string[] }[] = [];
  const sizeRaw = query.get('page[size]');
  const size = sizeRaw === null ? 25 : Number(sizeRaw);
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    details.push({ code: 'custom', message: 'Number must be an integer from 1 to 100', path: ['page[size]'] });
  }
  const known = new Set((Object.keys(STATUS_EXAMPLES) as TaskRunStatus[]).map((s) => apiStatus(s, version)));
  const statuses = query.get('filter[status]')?.split(',').filter(Boolean);
  const invalid = statuses?.filter((s) => !known.has(s)) ?? [];
  if (invalid.length) details.push({ code: 'custom', message: `Invalid status values: ${invalid.join(', ')}`, path: ['filter[status]'] });
  if (details.length) return { status: 400, body: { error: 'Query Error', details } };

  const all = [...runs.values()]
    .map((r) => {
      settle(r, now);
      return { run: r, version: apiVersionOf(req, r) };
    })
    .filter(({ run, version: v }) => !statuses || statuses.includes(apiStatus(run.status, v)))
    .sort((a, b) => b.run.createdAt.localeCompare(a.run.createdAt) || a.run.id.localeCompare(b.run.id));
  const after = query.get('page[after]');
  const before = query.get('page[before]');
  let start = 0;
  if (after !== null) start = all.findIndex((r) => r.run.id === after) + 1;
  if (before !== null) start = Math.max(0, all.findIndex((r) => r.run.id === before) - size);
  const page = all.slice(start, start + size);
  return {
    status: 200,
    body: {
      data: page.map(({ run, version: v }) => ({ ...commonRun(run, v), env: { id: 'env_sandbox', name: 'dev', user: 'sandbox' } })),
      pagination: {
        next: start + size < all.length ? page[page.length - 1]?.run.id : undefined,
        previous: start > 0 ? page[0]?.run.id : undefined,
      },
    },
  };
}

/** Every internal status, so the list filter knows the literals of each vocabulary. */
const STATUS_EXAMPLES: Record<TaskRunStatus, true> = {
  DELAYED: true,
  PENDING: true,
  PENDING_VERSION: true,
  WAITING_FOR_DEPLOY: true,
  DEQUEUED: true,
  EXECUTING: true,
  WAITING_TO_RESUME: true,
  RETRYING_AFTER_FAILURE: true,
  PAUSED: true,
  CANCELED: true,
  INTERRUPTED: true,
  COMPLETED_SUCCESSFULLY: true,
  COMPLETED_WITH_ERRORS: true,
  SYSTEM_FAILURE: true,
  CRASHED: true,
  EXPIRED: true,
  TIMED_OUT: true,
};

function scenarioResponse(scenario: TriggerDevScenario, isCancel: boolean, now: number): SimResponse | undefined {
  switch (scenario) {
    case 'unauthorized':
      return { status: 401, body: { error: 'Invalid or Missing API key' } };
    case 'forbidden':
      // A restricted key without the write:runs (or read:runs) scope.
      return { status: 403, body: { error: 'Unauthorized', code: 'unauthorized', param: 'access_token', type: 'authorization' } };
    case 'conflict':
      // The docs are silent on 409 for runs; the SDK retries it. Rendered in the documented {error} envelope.
      return isCancel ? { status: 409, body: { error: 'The run is being updated by another request' } } : undefined;
    case 'rate-limited':
      return rateLimited(now + SCENARIO_RESET_MS, RATE_LIMIT, 0, now);
    case 'invalid':
      return {
        status: 400,
        body: { error: 'Params Error', details: [{ code: 'invalid_string', message: 'Invalid run id', path: ['runParam'] }] },
      };
    case 'unavailable':
      // Only cancelling a buffered ("mollified") run times out; reading it synthesises a QUEUED run.
      return isCancel ? { status: 503, body: { error: 'Run materialisation timed out' } } : undefined;
    case 'internal-error':
      return { status: 500, body: { error: 'Internal Server Error' } };
    case 'run-gone':
      // Found by the route builder's replica read, gone by the time the action looked it up.
      return { status: 404, headers: isCancel ? {} : { 'x-should-retry': 'true' }, body: { error: 'Run not found' } };
    default:
      return undefined;
  }
}

function rateLimitHeaders(remaining: number, resetAtMs: number): Record<string, string> {
  return {
    'x-ratelimit-limit': String(RATE_LIMIT),
    'x-ratelimit-remaining': String(Math.max(0, remaining)),
    'x-ratelimit-reset': String(resetAtMs),
  };
}

/** authorizationRateLimitMiddleware's 429: problem+json, reset in epoch ms, no Retry-After. */
function rateLimited(resetAtMs: number, limit: number, over: number, now: number): SimResponse {
  const secondsUntilReset = Math.max(0, (resetAtMs - now) / 1000);
  const detail = `Rate limit exceeded 0/${limit} requests remaining. Retry in ${secondsUntilReset} seconds.`;
  return problem(
    429,
    {
      title: 'Rate Limit Exceeded',
      status: 429,
      type: 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429',
      detail,
      reset: resetAtMs,
      limit,
      remaining: over > 0 ? -over : 0, // the body's count is not clamped; the header's is
      secondsUntilReset,
      error: detail,
    },
    rateLimitHeaders(0, resetAtMs),
  );
}

function problem(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': 'application/problem+json', ...headers }, body: JSON.stringify(body, null, 2) };
}

function methodNotAllowed(): SimResponse {
  return { status: 405, body: { error: 'Method Not Allowed' } };
}
