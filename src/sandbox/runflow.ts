// Simulated Runflow, per docs.runflow.io (guides/cancel-a-run, concepts/errors, concepts/rate-limits,
// concepts/authentication, api-reference/runs/search-runs):
// - Bearer auth. Service keys (rf_svc_*) have admin scope; inference keys (rf_live_*) may read runs
//   but the admin cancel answers them 401 (not 403).
// - POST /v1/admin/runs/{run_id}/cancellation, optional JSON body {"reason": "3-500 chars" | null}:
//   201 + the full Run when this call cancels it (status_code `canceled`), 200 + the unchanged Run
//   when it was already terminal (no audit entry then), 422 for a bad reason.
// - GET /v1/runs/{id} -> the Run; GET /v1/runs -> {"items": [Run...]}.
// - Errors are {"code", "message", "errors": null | [...]}; 429 carries no rate-limit headers.
// - Run records say `status_code`, timestamps with a `+00:00` offset; the docs name completed_at /
//   failure_code / failure_message while the official SDK type names finished_at / error{code,message}:
//   one seed is written the SDK's way. Both `canceled` (docs, SDK) and `cancelled` (production-verified
//   skill file) occur on run records.
import { bearer, match, startSimulator, type SimRequest, type SimResponse, type Simulator } from './sim-server.js';
import type { Scenario } from './scenarios.js';

/** Scenarios Runflow documents, plus its second 403 code. */
export type RunflowScenario = Scenario | 'email-not-verified';

export interface RunflowRun {
  id: string;
  status_code: string;
  model: string;
  created_at: string;
  started_at: string | null;
  /** When it finished (docs naming `completed_at`, SDK naming `finished_at`). */
  finished_at: string | null;
  failure_code: string | null;
  failure_message: string | null;
  /** Which field names the record is served with: the docs' (default) or the official SDK type's. */
  naming?: 'docs' | 'sdk';
  scenario?: RunflowScenario;
}

/** One entry of the simulated audit log: written by a real cancellation (201) only. */
export interface RunflowAuditEntry {
  action: 'run.cancelled';
  run_id: string;
  meta: { reason: string | null };
  at: string;
}

export const RUNFLOW_SANDBOX_ADMIN_KEY = 'rf_svc_sandbox_admin_000000000000000000000000';
export const RUNFLOW_SANDBOX_INFERENCE_KEY = 'rf_live_sandbox_inference_0000000000000000000';

const MODEL = 'runflow/background-removal';
const ORG_ID = 'org_sandbox';

/** Runflow writes `2026-05-23T10:42:11.000+00:00`, not `...Z`. */
export function runflowTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '+00:00');
}

const TERMINAL = new Set(['succeeded', 'partial_succeeded', 'failed', 'canceled', 'cancelled']);

/**
 * Seeded runs (ids echo the docs' `01J0...` example): one per status literal, both spellings of
 * cancelled, one record in the SDK's field naming, and one per error Runflow documents.
 */
export function runflowSeeds(now = Date.now()): RunflowRun[] {
  const at = (minutes: number) => runflowTime(now - minutes * 60_000);
  const run = (id: string, status_code: string, extra: Partial<RunflowRun> = {}): RunflowRun => {
    const started = status_code !== 'queued' && status_code !== 'dispatching';
    return {
      id,
      status_code,
      model: MODEL,
      created_at: at(60),
      started_at: started ? at(59) : null,
      finished_at: TERMINAL.has(status_code) ? at(58) : null,
      failure_code: null,
      failure_message: null,
      ...extra,
    };
  };
  return [
    run('01J0-queued', 'queued'),
    run('01J0-dispatching', 'dispatching'),
    run('01J0-running', 'running'),
    run('01J0-succeeded', 'succeeded'),
    run('01J0-partial', 'partial_succeeded'),
    run('01J0-failed', 'failed', { failure_code: 'MODEL_TIMEOUT', failure_message: 'The model did not answer within 120 s.' }),
    run('01J0-canceled', 'canceled'),
    run('01J0-cancelled', 'cancelled'),
    // The same failure, written the way the official JS SDK's Run type names it.
    run('01J0-sdk-failed', 'failed', {
      naming: 'sdk',
      failure_code: 'INPUT_REJECTED',
      failure_message: 'The input image could not be decoded.',
    }),
    ...(
      [
        'unauthorized',
        'forbidden',
        'email-not-verified',
        'payment-required',
        'conflict',
        'rate-limited',
        'unavailable',
        'invalid',
      ] as const
    ).map((s) => run(`01J0-${s}`, 'running', { scenario: s })),
  ];
}

export interface RunflowSimOptions {
  credentials?: { adminKey?: string; inferenceKey?: string };
  seeds?: RunflowRun[];
  port?: number;
}

export async function startRunflowSim(options: RunflowSimOptions = {}): Promise<
  Simulator & { runs: Map<string, RunflowRun>; audit: RunflowAuditEntry[] }
> {
  const adminKey = options.credentials?.adminKey ?? RUNFLOW_SANDBOX_ADMIN_KEY;
  const inferenceKey = options.credentials?.inferenceKey ?? RUNFLOW_SANDBOX_INFERENCE_KEY;
  const runs = new Map((options.seeds ?? runflowSeeds()).map((r) => [r.id, { ...r }]));
  const audit: RunflowAuditEntry[] = [];

  const sim = await startSimulator(
    'runflow',
    (req): SimResponse => {
      const key = bearer(req);
      if (key !== adminKey && key !== inferenceKey) return fail(401, 'UNAUTHORIZED', 'Missing or invalid API key.');

      if (req.method === 'GET' && match(req.segments, '/v1/runs')) {
        // The stored docs excerpt shows `{items: [...], ...}` and no pagination parameters.
        return { status: 200, body: { items: [...runs.values()].map(view) } };
      }
      const get = req.method === 'GET' ? match(req.segments, '/v1/runs/:id') : undefined;
      const cancel = req.method === 'POST' ? match(req.segments, '/v1/admin/runs/:id/cancellation') : undefined;
      if (!get && !cancel) return fail(404, 'NOT_FOUND', 'No such route.');

      if (cancel) {
        if (key !== adminKey) {
          return fail(401, 'UNAUTHORIZED', 'This endpoint requires a service key (rf_svc_*) with admin scope.');
        }
        const invalid = validateBody(req);
        if (invalid) return invalid;
      }
      const id = (get ?? cancel)!.id!;
      const run = runs.get(id);
      if (!run) return fail(404, 'RUN_NOT_FOUND', `Run ${id} not found in your reachable orgs.`);
      if (run.scenario) {
        const scenario = scenarioResponse(run.scenario, cancel !== undefined);
        if (scenario) return scenario;
      }
      if (get) return { status: 200, body: view(run) };

      // Idempotent on terminal runs: 200 and the run unchanged, no audit entry, no callback.
      if (TERMINAL.has(run.status_code)) return { status: 200, body: view(run) };
      const now = Date.now();
      run.status_code = 'canceled';
      run.finished_at = runflowTime(now);
      // The reason goes to audit_log.meta.reason; the Run object has no field for it.
      const reason = (req.json as { reason?: string | null } | undefined)?.reason ?? null;
      audit.push({ action: 'run.cancelled', run_id: run.id, meta: { reason }, at: runflowTime(now) });
      return { status: 201, body: view(run) };
    },
    options.port,
  );
  return Object.assign(sim, { runs, audit });
}

/** The Run object, as GET /v1/runs/{id} and both cancel answers return it. */
function view(r: RunflowRun): Record<string, unknown> {
  if (r.naming === 'sdk') {
    // The official SDK's curated Run type: finished_at and error{code,message}.
    return {
      id: r.id,
      status_code: r.status_code,
      model: r.model,
      created_at: r.created_at,
      started_at: r.started_at,
      finished_at: r.finished_at,
      output: null,
      error: r.failure_code || r.failure_message ? { code: r.failure_code, message: r.failure_message } : null,
    };
  }
  const done = r.status_code === 'succeeded' || r.status_code === 'partial_succeeded';
  return {
    id: r.id,
    flow_id: null,
    model_id: 'mdl_background_removal',
    model: r.model,
    comfyui_workflow_id: null,
    target_type: 'model',
    target_version: '1',
    org_id: ORG_ID,
    status_code: r.status_code,
    source_code: 'api',
    input: { image_url: 'https://example.com/cat.png' },
    output: done ? { image_url: `https://cdn.runflow.io/sandbox/${encodeURIComponent(r.id)}.png` } : null,
    context: null,
    duration_ms: r.finished_at && r.started_at ? Date.parse(r.finished_at) - Date.parse(r.started_at) : null,
    cost: done ? '0.0040' : '0.0000',
    cost_breakdown: null,
    nodes_total: 1,
    nodes_completed: done ? 1 : 0,
    batch_id: null,
    client_ref: null,
    request_id: `req_${r.id}`,
    created_by: 'usr_sandbox',
    created_at: r.created_at,
    started_at: r.started_at,
    completed_at: r.finished_at,
    callback_url: null,
    metadata: {},
    links: { self: `/v1/runs/${encodeURIComponent(r.id)}` },
    failure_code: r.failure_code,
    failure_message: r.failure_message,
    node_runs: [],
  };
}

function fail(status: number, code: string, message: string, errors: unknown[] | null = null): SimResponse {
  return { status, body: { code, message, errors } };
}

/**
 * The cancel body is optional; when sent it is a JSON object whose only field is `reason`
 * (string 3-500 chars, not all whitespace, or null). The docs are silent on a body sent without
 * a JSON content type; a FastAPI-style server refuses it with 422, and so does this one.
 */
function validateBody(req: SimRequest): SimResponse | undefined {
  if (req.body === '') return undefined;
  const invalid = (type: string, message: string) =>
    fail(422, 'VALIDATION_ERROR', 'Request validation failed.', [{ type, field: 'reason', message }]);
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return invalid('content_type', 'The body must be JSON.');
  const body = req.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('json_invalid', 'The body must be a JSON object.');
  const reason = (body as Record<string, unknown>).reason;
  if (reason === undefined || reason === null) return undefined;
  if (typeof reason !== 'string') return invalid('string_type', 'reason must be a string or null.');
  const trimmed = reason.trim();
  if (trimmed.length < 3) return invalid('string_too_short', 'reason must be at least 3 characters and not all whitespace.');
  if ([...reason].length > 500) return invalid('string_too_long', 'reason must be at most 500 characters.');
  return undefined;
}

/** Errors a seeded run produces; `cancelOnly` ones let reads of the run succeed. */
function scenarioResponse(scenario: RunflowScenario, isCancel: boolean): SimResponse | undefined {
  switch (scenario) {
    case 'unauthorized':
      return fail(401, 'UNAUTHORIZED', 'API key revoked.');
    case 'forbidden':
      return fail(403, 'PERMISSION_DENIED', "Your key has no permission on this run's organization.");
    case 'email-not-verified':
      return fail(403, 'EMAIL_NOT_VERIFIED', 'Verify the email address of the key owner before using the API.');
    case 'rate-limited':
      // The current rate-limits page: no Retry-After, no X-RateLimit-* headers.
      return fail(429, 'RATE_LIMITED', 'Rate limit exceeded: 60 requests per minute per key.');
    case 'unavailable':
      return fail(503, 'MODEL_UNAVAILABLE', `Model ${MODEL} is temporarily unavailable.`);
    case 'payment-required':
      return isCancel ? fail(402, 'INSUFFICIENT_CREDIT', 'Insufficient credit: check GET /v1/billing/balance.') : undefined;
    case 'conflict':
      return isCancel
        ? fail(409, 'CONFLICT', 'State invariant violated.', [
            { type: 'self_action_forbidden', message: 'Admins cannot override runs they created themselves.' },
          ])
        : undefined;
    case 'invalid':
      // A server-side rule the gateway cannot check in advance.
      return isCancel
        ? fail(422, 'VALIDATION_ERROR', 'Request validation failed.', [
            { type: 'value_error', field: 'reason', message: 'reason failed validation.' },
          ])
        : undefined;
  }
}
