// Simulated Retab experiment runs, per docs.retab.com (cancel / get / list) and the retab-dev/retab
// SDKs: a FastAPI app. Bearer auth (HTTPBearer), no trailing slashes, lower-case lifecycle
// literals with the UK `cancelled`, errors in FastAPI's `{"detail": ...}` envelope (a string, a
// {code, message} object, or the HTTPValidationError list on 422), and the quirk that matters
// most: cancel answers 404 both for a run that does not exist and for one that is no longer
// cancellable. A cancel may also lose a race (200 with a non-cancelled lifecycle).
//
// Where the docs are silent the simulator does what a FastAPI/Starlette server does (each such
// place says so): routing on the percent-decoded path, 307 for a trailing slash, 405 for a wrong
// method, `{"detail": "Not Found"}` for an unknown route, `x-request-id` on every answer.
import { bearer, match, startSimulator, type SimRequest, type SimResponse, type Simulator } from './sim-server.js';
import { minutesAgo, type Scenario } from './scenarios.js';

export interface RetabErrorDetails {
  message: string | null;
  stack_trace: string | null;
  block_id: string | null;
  block_name: string | null;
  error_code: string | null;
  context: Record<string, unknown> | null;
}

export interface RetabRun {
  id: string;
  /** `lifecycle.status`: pending | queued | running | completed | error | cancelled. */
  status: string;
  /** The `error` lifecycle's message. */
  message?: string;
  /** The `error` lifecycle's structured details (null when the server has none). */
  details?: RetabErrorDetails | null;
  /** The `cancelled` lifecycle's reason, when known. */
  reason?: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  workflow_id: string;
  experiment_id: string;
  block_id: string;
  trigger_type: string;
  /** Make every answer about this run fail the way the scenario says (409 on cancel only). */
  scenario?: Scenario;
  /**
   * What happens when a cancel reaches this in-flight run:
   * - `completes-first`: the run finished before the cancel took hold; 200 with lifecycle `completed`.
   * - `stops-later`: the cancel is accepted but the answer still says `running`; the run is
   *   cancelled right after (the next read sees `cancelled`).
   */
  onCancel?: 'completes-first' | 'stops-later';
  /**
   * Read-after-write lag: this many cancels answer 404 although a read shows the run in flight
   * (the cancel path has not seen the run yet). Each such cancel uses one up.
   */
  cancelLag?: number;
}

/** A test-environment key, shaped like Retab's (`rt_test_` prefix). */
export const RETAB_SANDBOX_KEY = 'rt_test_sandbox_retab_00000000000000000000';

const CANCELLABLE = new Set(['pending', 'queued', 'running']);
const STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'cancelled'];

/**
 * Seeded runs: one per documented lifecycle literal, the failures Retab's SDKs map (401, 403,
 * 409, 422, 429, 5xx; Retab documents no 402), and the cancel quirks.
 */
export function retabSeeds(now = Date.now()): RetabRun[] {
  const run = (id: string, status: string, extra: Partial<RetabRun> = {}): RetabRun => {
    const inFlight = CANCELLABLE.has(status);
    return {
      id,
      status,
      created_at: minutesAgo(now, 60),
      started_at: status === 'pending' || status === 'queued' ? null : minutesAgo(now, 59),
      completed_at: inFlight ? null : minutesAgo(now, 30),
      workflow_id: 'wf_sandbox',
      experiment_id: 'exp_sandbox',
      block_id: 'extract-invoice',
      trigger_type: 'api',
      ...extra,
    };
  };
  return [
    run('exprun_pending', 'pending'),
    run('exprun_queued', 'queued'),
    run('exprun_running', 'running'),
    run('exprun_completed', 'completed'),
    run('exprun_error', 'error', {
      message: 'Extraction failed: the model output did not match the schema for 3 of 12 documents.',
      details: {
        message: 'Schema validation failed on field "total_amount".',
        stack_trace: 'Traceback (most recent call last):\n  File "/app/workers/extract.py", line 212, in run_block\nValidationError: total_amount',
        block_id: 'extract-invoice',
        block_name: 'Extract invoice',
        error_code: 'SCHEMA_VALIDATION_FAILED',
        context: { documents_failed: 3 },
      },
    }),
    run('exprun_cancelled', 'cancelled', { reason: 'Superseded by a newer run of the same experiment.' }),
    // Failure scenarios, rendered in Retab's {"detail": ...} dialect (see scenarioResponse).
    ...(['unauthorized', 'forbidden', 'conflict', 'rate-limited', 'unavailable', 'invalid'] as const).map((s) =>
      run(`exprun_${s.replace('-', '_')}`, 'running', { scenario: s }),
    ),
    // Quirks of the cancel endpoint.
    run('exprun_race_lost', 'running', { onCancel: 'completes-first' }),
    run('exprun_stopping', 'running', { onCancel: 'stops-later' }),
    run('exprun_lagging', 'running', { cancelLag: 1 }),
  ];
}

export async function startRetabSim(options: { apiKey?: string; seeds?: RetabRun[]; port?: number } = {}): Promise<
  Simulator & { runs: Map<string, RetabRun> }
> {
  const apiKey = options.apiKey ?? RETAB_SANDBOX_KEY;
  const runs = new Map((options.seeds ?? retabSeeds()).map((r) => [r.id, { ...r }]));
  let requestCount = 0;

  const handle = (req: SimRequest): SimResponse => {
    const [rawPath = '', query = ''] = splitOnce(req.path, '?');
    // Starlette routes on the percent-decoded path (uvicorn puts unquote(raw_path) in scope.path),
    // so an encoded `/` inside an id becomes a real separator and the id matches no route.
    let segments: string[];
    try {
      segments = decodeURIComponent(rawPath).split('/').slice(1);
    } catch {
      return notFound();
    }
    const route = resolve(req.method, segments);
    if (route === 'method-not-allowed') {
      return { status: 405, headers: { allow: allowedFor(segments) }, body: { detail: 'Method Not Allowed' } };
    }
    if (!route) {
      // Starlette's redirect_slashes: the same (decoded) path without its trailing slash, when
      // that matches a route, answers 307 to it.
      const trimmed = segments.slice(0, -1);
      if (segments.length > 1 && segments[segments.length - 1] === '' && resolve(req.method, trimmed)) {
        const location = `http://${req.headers.host ?? '127.0.0.1'}/${trimmed.join('/')}${query ? `?${query}` : ''}`;
        return { status: 307, headers: { location } };
      }
      return notFound();
    }
    // HTTPBearer runs before the handler: a missing or non-Bearer header is "Not authenticated"
    // (401 with WWW-Authenticate, as FastAPI answers since 0.115); a wrong key is refused by Retab.
    const token = bearer(req);
    if (token === undefined) {
      return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { detail: 'Not authenticated' } };
    }
    if (token !== apiKey) return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { detail: 'Invalid API key' } };

    switch (route.kind) {
      case 'list':
        return list(new URLSearchParams(query));
      case 'legacy-list':
        return legacyList(route.params.workflow_id!, route.params.experiment_id!);
      case 'get': {
        const run = runs.get(route.params.run_id!);
        if (!run) return { status: 404, body: { detail: 'Experiment run not found' } };
        if (run.scenario && run.scenario !== 'conflict') return scenarioResponse(run.scenario, run.id);
        return { status: 200, body: view(run) };
      }
      case 'cancel':
        return cancel(route.params.run_id!);
    }
  };

  const cancel = (id: string): SimResponse => {
    // One answer for "no such run" and "not cancellable": the docs say 404 for both.
    const refused: SimResponse = { status: 404, body: { detail: 'Experiment run not found or not in a cancellable state' } };
    const run = runs.get(id);
    if (!run) return refused;
    if (run.scenario) return scenarioResponse(run.scenario, run.id);
    if (run.cancelLag && run.cancelLag > 0) {
      run.cancelLag -= 1;
      return refused;
    }
    if (!CANCELLABLE.has(run.status)) return refused;
    const now = new Date().toISOString();
    if (run.onCancel === 'completes-first') {
      run.status = 'completed';
      run.completed_at = now;
      run.started_at ??= now;
      return { status: 200, body: cancelView(run) };
    }
    if (run.onCancel === 'stops-later') {
      const answer = cancelView(run); // still running as the cancel is answered
      run.status = 'cancelled';
      run.completed_at = now;
      return { status: 200, body: answer };
    }
    run.status = 'cancelled';
    run.reason = null; // the cancel endpoint takes no reason
    run.completed_at = now;
    return { status: 200, body: cancelView(run) };
  };

  const list = (q: URLSearchParams): SimResponse => {
    const errors: ValidationIssue[] = [];
    const limit = intParam(q, 'limit', 50, 1, 100, errors);
    const order = q.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') errors.push(literalError('order', order, ['asc', 'desc']));
    for (const name of ['status', 'exclude_status']) {
      const v = q.get(name);
      if (v !== null && !STATUSES.includes(v)) errors.push(literalError(name, v, STATUSES));
    }
    if (errors.length) return { status: 422, body: { detail: errors } };
    const eq = (name: string, value: string) => q.get(name) === null || q.get(name) === value;
    let rows = [...runs.values()].filter(
      (r) =>
        eq('workflow_id', r.workflow_id) &&
        eq('experiment_id', r.experiment_id) &&
        eq('block_id', r.block_id) &&
        eq('trigger_type', r.trigger_type) &&
        eq('status', r.status) &&
        q.get('exclude_status') !== r.status &&
        (q.get('from_date') === null || r.created_at >= q.get('from_date')!) &&
        (q.get('to_date') === null || r.created_at <= q.get('to_date')!),
    );
    rows.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    if (order === 'desc') rows.reverse();
    // Cursor pagination as the SDK's PaginatedList reads it: `after` is the last id of a page
    // when more follow (null at the end); `before` is the first id when earlier ones exist.
    let start = 0;
    let end = rows.length;
    const after = q.get('after');
    const before = q.get('before');
    if (after !== null) start = rows.findIndex((r) => r.id === after) + 1 || rows.length;
    if (before !== null) {
      const i = rows.findIndex((r) => r.id === before);
      end = i < 0 ? 0 : i;
      start = Math.max(start, end - limit);
    }
    const page = rows.slice(start, Math.min(end, start + limit));
    const pageEnd = start + page.length;
    return {
      status: 200,
      body: {
        data: page.map(view),
        list_metadata: {
          before: page.length && start > 0 ? page[0]!.id : null,
          after: page.length && pageEnd < rows.length ? page[page.length - 1]!.id : null,
        },
      },
    };
  };

  // The older docs page's nested route and `{runs: [...]}` envelope with a flat `status`.
  const legacyList = (workflowId: string, experimentId: string): SimResponse => ({
    status: 200,
    body: {
      runs: [...runs.values()]
        .filter((r) => r.workflow_id === workflowId && r.experiment_id === experimentId)
        .map((r) => ({ ...view(r), status: r.status })),
    },
  });

  const sim = await startSimulator(
    'retab',
    (req) => {
      const out = handle(req);
      requestCount += 1;
      // Every Retab answer carries a request id (the Python SDK reads x-request-id).
      return { ...out, headers: { 'x-request-id': `req_sandbox_${requestCount}`, ...out.headers } };
    },
    options.port,
  );
  return Object.assign(sim, { runs });
}

type Route =
  | { kind: 'cancel' | 'get' | 'list' | 'legacy-list'; params: Record<string, string> }
  | 'method-not-allowed'
  | undefined;

const ROUTES: { method: string; pattern: string; kind: 'cancel' | 'get' | 'list' | 'legacy-list' }[] = [
  { method: 'GET', pattern: '/v1/workflows/experiments/runs', kind: 'list' },
  { method: 'GET', pattern: '/v1/workflows/experiments/runs/:run_id', kind: 'get' },
  { method: 'POST', pattern: '/v1/workflows/experiments/runs/:run_id/cancel', kind: 'cancel' },
  { method: 'GET', pattern: '/v1/workflows/:workflow_id/experiments/:experiment_id/runs', kind: 'legacy-list' },
];

function resolve(method: string, segments: string[]): Route {
  let pathMatched = false;
  for (const r of ROUTES) {
    const params = match(segments, r.pattern);
    if (!params) continue;
    if (r.method === method) return { kind: r.kind, params };
    pathMatched = true;
  }
  // The docs also show POST /v1/workflows/experiments/runs (create); not simulated, but the path
  // exists, so a POST there is a 405 like any other wrong method.
  return pathMatched ? 'method-not-allowed' : undefined;
}

function allowedFor(segments: string[]): string {
  return ROUTES.filter((r) => match(segments, r.pattern)).map((r) => r.method).join(', ');
}

function notFound(): SimResponse {
  return { status: 404, body: { detail: 'Not Found' } };
}

function lifecycle(run: RetabRun): Record<string, unknown> {
  if (run.status === 'error') return { status: 'error', message: run.message ?? '(no message)', details: run.details ?? null };
  // The docs' example omits a null reason: `{ "status": "cancelled" }`.
  if (run.status === 'cancelled') return run.reason ? { status: 'cancelled', reason: run.reason } : { status: 'cancelled' };
  return { status: run.status };
}

function durationMs(run: RetabRun): number | null {
  return run.started_at && run.completed_at ? Date.parse(run.completed_at) - Date.parse(run.started_at) : null;
}

/** CancelWorkflowExperimentRunResponse, shaped like the docs' example: id, lifecycle, timing. */
function cancelView(run: RetabRun): Record<string, unknown> {
  return {
    id: run.id,
    lifecycle: lifecycle(run),
    timing: { created_at: run.created_at, started_at: run.started_at, completed_at: run.completed_at },
  };
}

/** The run as GET /v1/workflows/experiments/runs/{run_id} shows it (the docs' example). */
function view(run: RetabRun): Record<string, unknown> {
  const done = run.status === 'completed';
  return {
    id: run.id,
    workflow: { workflow_id: run.workflow_id, version_id: 'draft_sandbox', name_at_run_time: 'Sandbox invoices', requested_version: 'draft' },
    trigger: { type: run.trigger_type },
    lifecycle: lifecycle(run),
    timing: { created_at: run.created_at, started_at: run.started_at, completed_at: run.completed_at, duration_ms: durationMs(run) },
    experiment_id: run.experiment_id,
    block_id: run.block_id,
    block_kind: 'extract',
    n_consensus: 5,
    total_document_count: 12,
    completed_document_count: done ? 12 : run.status === 'error' ? 9 : 0,
    error_count: run.status === 'error' ? 3 : 0,
    score: done ? 0.87 : null,
    definition_fingerprint: 'fp_def_sandbox',
    documents_fingerprint: 'fp_docs_sandbox',
  };
}

interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

// FastAPI/pydantic v2 validation issues, as HTTPValidationError lists them.
function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number, errors: ValidationIssue[]): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!/^-?\d+$/.test(raw)) {
    errors.push({ type: 'int_parsing', loc: ['query', name], msg: 'Input should be a valid integer, unable to parse string as an integer', input: raw });
    return fallback;
  }
  const n = Number(raw);
  if (n < min) errors.push({ type: 'greater_than_equal', loc: ['query', name], msg: `Input should be greater than or equal to ${min}`, input: raw, ctx: { ge: min } });
  if (n > max) errors.push({ type: 'less_than_equal', loc: ['query', name], msg: `Input should be less than or equal to ${max}`, input: raw, ctx: { le: max } });
  return n;
}

function literalError(name: string, input: string, allowed: string[]): ValidationIssue {
  const expected = allowed.map((a) => `'${a}'`);
  const text = `${expected.slice(0, -1).join(', ')} or ${expected[expected.length - 1]}`;
  return { type: 'literal_error', loc: ['query', name], msg: `Input should be ${text}`, input, ctx: { expected: text } };
}

/** The scenario's failure in Retab's dialect: FastAPI `{"detail": ...}`, string or {code, message}. */
function scenarioResponse(scenario: Scenario, runId: string): SimResponse {
  switch (scenario) {
    case 'unauthorized':
      return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { detail: 'Invalid API key' } };
    case 'forbidden':
      return {
        status: 403,
        body: { detail: { code: 'PERMISSION_DENIED', message: 'This API key cannot manage experiment runs of this workflow.' } },
      };
    case 'conflict':
      // The Python SDK's ConflictError: "compare-and-swap conflict; re-read and retry".
      return {
        status: 409,
        body: { detail: { code: 'RUN_STATE_CONFLICT', message: 'The run was modified concurrently; re-read it and retry.' } },
      };
    case 'rate-limited': {
      // Retab documents no rate-limit headers; a FastAPI limiter (slowapi) sends these.
      const reset = Math.ceil(Date.now() / 1000) + 12;
      return {
        status: 429,
        headers: { 'retry-after': '12', 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
        body: { detail: 'Rate limit exceeded: 60 per 1 minute' },
      };
    }
    case 'invalid':
      return {
        status: 422,
        body: {
          detail: [
            {
              type: 'value_error',
              loc: ['path', 'run_id'],
              msg: 'Value error, run_id does not identify an experiment run of this organization',
              input: runId,
              ctx: { error: {} },
            },
          ],
        },
      };
    case 'payment-required':
      // Not documented by Retab and not seeded; rendered for a custom seed all the same.
      return { status: 402, body: { detail: 'Payment required' } };
    case 'unavailable':
    default:
      return { status: 503, body: { detail: 'Service Unavailable' } };
  }
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
