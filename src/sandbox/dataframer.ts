// Simulated DataFramer, per docs.dataframer.ai: trailing-slash paths, Bearer auth, 204 with no
// body on cancel, 400 {"error": "Cannot cancel job..."} for a finished run, bare-array list.
import { bearer, match, startSimulator, type SimResponse, type Simulator } from './sim-server.js';
import { minutesAgo, type Scenario } from './scenarios.js';

export interface DataFramerRun {
  id: string;
  status: string;
  created_at: string;
  completed_at: string | null;
  scenario?: Scenario;
}

export const DATAFRAMER_SANDBOX_KEY = 'sk_live_sandbox_dataframer_0000000000000000000000';

/** Seeded runs: one per documented status, plus the failure scenarios the docs list. */
export function dataframerSeeds(now = Date.now()): DataFramerRun[] {
  const run = (id: string, status: string, completed: boolean, scenario?: Scenario): DataFramerRun => ({
    id,
    status,
    created_at: minutesAgo(now, 60),
    completed_at: completed ? minutesAgo(now, 30) : null,
    ...(scenario ? { scenario } : {}),
  });
  return [
    run('df-pending', 'PENDING', false),
    run('df-processing', 'PROCESSING', false),
    run('df-succeeded', 'SUCCEEDED', true),
    run('df-failed', 'FAILED', true),
    run('df-canceled', 'CANCELED', true),
    run('df-in-progress', 'IN_PROGRESS', false),
    ...(['unauthorized', 'forbidden', 'rate-limited', 'unavailable', 'invalid'] as const).map((s) =>
      run(`df-${s}`, 'PROCESSING', false, s),
    ),
  ];
}

export async function startDataFramerSim(options: { apiKey?: string; seeds?: DataFramerRun[]; port?: number } = {}): Promise<
  Simulator & { runs: Map<string, DataFramerRun> }
> {
  const apiKey = options.apiKey ?? DATAFRAMER_SANDBOX_KEY;
  const runs = new Map((options.seeds ?? dataframerSeeds()).map((r) => [r.id, { ...r }]));
  const view = (r: DataFramerRun) => ({
    id: r.id,
    status: r.status,
    spec_id: 'spec-sandbox',
    spec_name: 'Sandbox spec',
    spec_version: 1,
    dataset_id: null,
    dataset_name: null,
    dataset_type: 'SINGLE_FILE',
    samples_completed: 0,
    samples_failed: 0,
    total_cost: 0,
    created_at: r.created_at,
    created_by_email: 'sandbox@example.com',
    completed_at: r.completed_at,
  });

  const sim = await startSimulator(
    'dataframer',
    (req): SimResponse => {
      if (bearer(req) !== apiKey) return { status: 401, body: { detail: 'Invalid API key.' } };
      const cancel = req.method === 'POST' ? match(req.segments, '/api/dataframer/runs/:id/cancel/') : undefined;
      const get = req.method === 'GET' ? match(req.segments, '/api/dataframer/runs/:id/') : undefined;
      if (req.method === 'GET' && match(req.segments, '/api/dataframer/runs/')) return { status: 200, body: [...runs.values()].map(view) };
      const id = cancel?.id ?? get?.id;
      if (id === undefined) return { status: 404, body: { detail: 'Not found.' } };
      const run = runs.get(id);
      if (!run) return { status: 404, body: { detail: 'Not found.' } };
      if (run.scenario) return scenarioResponse(run.scenario);
      if (get) return { status: 200, body: { ...view(run), runtime_params: { number_of_samples: 10 }, generated_files: [] } };
      if (run.status !== 'PENDING' && run.status !== 'PROCESSING' && run.status !== 'IN_PROGRESS') {
        return { status: 400, body: { error: 'Cannot cancel job. Only PROCESSING or PENDING jobs can be canceled.' } };
      }
      run.status = 'CANCELED';
      run.completed_at = new Date().toISOString();
      return { status: 204 };
    },
    options.port,
  );
  return Object.assign(sim, { runs });
}

function scenarioResponse(scenario: Scenario): SimResponse {
  switch (scenario) {
    case 'unauthorized':
      return { status: 401, body: { detail: 'Invalid API key.' } };
    case 'forbidden':
      return { status: 403, body: { detail: 'API key lacks permissions.' } };
    case 'rate-limited':
      return { status: 429, headers: { 'retry-after': '30' }, body: { detail: 'Rate limit exceeded.' } };
    case 'invalid':
      return { status: 400, body: { error: 'Invalid run id.' } };
    default:
      return { status: 500, body: { error: 'Internal server error.' } };
  }
}
