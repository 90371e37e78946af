// Simulated Playbook, per docs.playbook3d.com (the "Cancel Workflow Run" page, seeds/
// playbook-cancel-workflow-run.txt) and the official Python SDK (playbook3d-python-sdk):
//   POST /cancel/{team_id}/{run_id}        both UUIDs; x-api-key AND Authorization: Bearer <JWT>
//     200 {"message": "Run successfully canceled."}      the run was ongoing and is now cancelled
//     200 {"message": "<final run state>"}               the run was already final ("A success message, or final run state.")
//     400 / 401 / 402 / 403 / 404 / 500                  {"description": "..."} as in every example
//                                                         (the schema says {"result": ...}: `errorKey: 'result'` sends that)
//   POST /run_workflow/{team_id}/{run_id}  documented create: {"run_id", "status": "queued", "message": "Workflow queued successfully."}
//   GET  /get_run_id                       SDK (undocumented): {"run_id": "<uuid>"}
//   GET  /runs                             SDK (undocumented, ACCOUNTS_URL): the user's runs, camelCase run model
// Playbook documents no single-run read, so there is none here either: the gateway must not need one.
import { randomUUID } from 'node:crypto';
import { bearer, match, startSimulator, type SimRequest, type SimResponse, type Simulator } from './sim-server.js';
import { minutesAgo, type Scenario } from './scenarios.js';

export interface PlaybookRun {
  /** The run's UUID (Playbook lets the caller choose it at run_workflow). */
  id: string;
  /** The UUID of the owning team. */
  teamId: string;
  /** Playbook's status literal (ComfyDeploy's vocabulary plus `executed`, see providers.md 4.3). */
  status: string;
  createdAt: string;
  /**
   * What the 200 says when this run is already final. The docs only say "A success message, or
   * final run state"; by default the message is the bare state literal, and seeds use this to
   * show the other plausible forms ("Run is already in a final state: failed", ...).
   */
  finalMessage?: string;
  scenario?: Scenario;
}

export const PLAYBOOK_SANDBOX_API_KEY = 'pb_sandbox_x_api_key_0000000000000000000000';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWT shaped like the one Playbook's token exchange returns (a `username` claim, which the SDK
 * decodes). It is an unsecured JWT (alg "none", empty signature): the simulator compares it as an
 * opaque string, as the gateway treats it.
 */
export const PLAYBOOK_SANDBOX_JWT = [
  base64url({ alg: 'none', typ: 'JWT' }),
  base64url({
    sub: '5a4db0c5-0000-4000-8000-000000000001',
    username: 'sandbox-user',
    token_use: 'access',
    iss: 'https://sandbox.playbook3d.invalid',
    iat: 1_767_225_600, // 2026-01-01
    exp: 4_102_444_800, // 2100-01-01
  }),
  '',
].join('.');

/** The sandbox team every seeded run belongs to. */
export const PLAYBOOK_SANDBOX_TEAM_ID = '7ea30000-0000-4000-8000-000000000001';

/** Seeded run ids: one fixed UUID shape, the last group tells them apart (…0001 not-started, …0401 unauthorized). */
export const playbookRunId = (suffix: string) => `00000000-0000-4000-8000-${suffix.padStart(12, '0')}`;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The documented messages, verbatim.
export const PLAYBOOK_MESSAGES = {
  cancelled: 'Run successfully canceled.',
  queued: 'Workflow queued successfully.',
  400: 'Bad Request. Possibly invalid team_id/run_id format.',
  401: 'Unauthorized. The Bearer token or API key is invalid or missing.',
  402: 'Payment Required. Subscription not active or no credits available.',
  403: 'Forbidden. You do not have permission to cancel this run.',
  404: 'Not Found. The run or team was not found.',
  500: 'Internal Server Error. Something went wrong on the server.',
} as const;

/** The statuses from which a cancel succeeds ("Cancels an ongoing run"). */
const ONGOING = new Set(['not-started', 'queued', 'started', 'running', 'uploading']);

/** Seeded runs: one per status literal, the 200 message forms, and the failures the docs list. */
export function playbookSeeds(now = Date.now()): PlaybookRun[] {
  const run = (suffix: string, status: string, extra: Partial<PlaybookRun> = {}): PlaybookRun => ({
    id: playbookRunId(suffix),
    teamId: PLAYBOOK_SANDBOX_TEAM_ID,
    status,
    createdAt: minutesAgo(now, 60),
    ...extra,
  });
  return [
    // Ongoing: a cancel moves them to cancelled.
    run('1', 'not-started'),
    run('2', 'queued'),
    run('3', 'started'),
    run('4', 'running'),
    run('5', 'uploading'),
    // Finished: the 200 message is the bare final state.
    run('10', 'success'),
    run('11', 'executed'),
    run('12', 'completed'),
    run('20', 'failed'),
    run('21', 'timeout'),
    run('30', 'cancelled'),
    run('31', 'canceled'),
    // Finished, with the other plausible forms of "already in a final state".
    run('40', 'failed', { finalMessage: 'Run is already in a final state: failed' }),
    run('41', 'cancelled', { finalMessage: 'Run is already in a final state: cancelled' }),
    run('42', 'canceled', { finalMessage: 'Run already canceled.' }),
    run('43', 'success', { finalMessage: 'Run is already in a final state.' }),
    run('44', 'success', { finalMessage: 'Run cannot be canceled: it already finished with status success.' }),
    // The failures the docs list for cancel; the suffix is the HTTP status.
    run('400', 'running', { scenario: 'invalid' }),
    run('401', 'running', { scenario: 'unauthorized' }),
    run('402', 'running', { scenario: 'payment-required' }),
    run('403', 'running', { scenario: 'forbidden' }),
    run('500', 'running', { scenario: 'unavailable' }),
  ];
}

export interface PlaybookSimOptions {
  apiKey?: string;
  jwt?: string;
  seeds?: PlaybookRun[];
  port?: number;
  host?: string;
  /** The error-body key: `description` as in every documented example (default), or `result` as in the schema. */
  errorKey?: 'description' | 'result';
}

export type PlaybookSim = Simulator & {
  runs: Map<string, PlaybookRun>;
  /** Switchable at any time, so one simulator can speak either documented error dialect. */
  errorKey: 'description' | 'result';
};

export async function startPlaybookSim(options: PlaybookSimOptions = {}): Promise<PlaybookSim> {
  const apiKey = options.apiKey ?? PLAYBOOK_SANDBOX_API_KEY;
  const jwt = options.jwt ?? PLAYBOOK_SANDBOX_JWT;
  // Run and team ids are UUIDs; lookups ignore case, as a UUID column would.
  const runs = new Map((options.seeds ?? playbookSeeds()).map((r) => [r.id.toLowerCase(), { ...r }]));
  const teams = () => new Set([PLAYBOOK_SANDBOX_TEAM_ID, ...[...runs.values()].map((r) => r.teamId.toLowerCase())]);

  const state = { errorKey: options.errorKey ?? 'description' } as { errorKey: 'description' | 'result' };
  const error = (status: keyof typeof PLAYBOOK_MESSAGES & number, text: string = PLAYBOOK_MESSAGES[status]): SimResponse => ({
    status,
    body: { [state.errorKey]: text },
  });

  const view = (r: PlaybookRun) => ({
    id: r.id,
    platform: 'api',
    status: r.status,
    progress: r.status === 'success' || r.status === 'executed' || r.status === 'completed' ? 1 : 0,
    duration: null,
    webhookUrl: null,
    runResult: null,
    createdAt: r.createdAt,
    team: { id: r.teamId, name: 'Sandbox team' },
    owner: { id: '5a4db0c5-0000-4000-8000-000000000001', username: 'sandbox-user' },
    workflow: { id: 'f10f0000-0000-4000-8000-000000000001', name: 'Sandbox workflow' },
  });

  const handler = (req: SimRequest): SimResponse => {
    // Both credentials, checked before anything else (an auth layer in front of the routes is
    // the most plausible server shape; the docs do not order 401 against 400).
    if (req.headers['x-api-key'] !== apiKey || bearer(req) !== jwt) return error(401);

    if (req.method === 'GET' && match(req.segments, '/get_run_id')) return { status: 200, body: { run_id: randomUUID() } };
    if (req.method === 'GET' && match(req.segments, '/runs')) return { status: 200, body: [...runs.values()].map(view) };

    const create = req.method === 'POST' ? match(req.segments, '/run_workflow/:team/:run') : undefined;
    const cancel = req.method === 'POST' ? match(req.segments, '/cancel/:team/:run') : undefined;
    const params = create ?? cancel;
    // Undocumented: an unknown route. Answer in the same envelope.
    if (!params) return error(404, 'Not Found.');
    if (!UUID.test(params.team!) || !UUID.test(params.run!)) return error(400);
    const teamId = params.team!.toLowerCase();
    if (!teams().has(teamId)) return error(404);

    if (create) {
      const existing = runs.get(params.run!.toLowerCase());
      if (existing && existing.teamId.toLowerCase() !== teamId) return error(403);
      // Undocumented: re-using a run id does not start a second run (the caller chooses run ids,
      // providers.md 4.5 [I]); it answers the run's current status.
      const run = existing ?? { id: params.run!, teamId, status: 'queued', createdAt: new Date().toISOString() };
      runs.set(run.id.toLowerCase(), run);
      return { status: 200, body: { run_id: run.id, status: run.status, message: PLAYBOOK_MESSAGES.queued } };
    }

    const run = runs.get(params.run!.toLowerCase());
    // "Not Found. The run or team was not found.": a run of another team is not found in this one.
    if (!run || run.teamId.toLowerCase() !== teamId) return error(404);
    if (run.scenario) return scenarioResponse(run.scenario, error);
    if (ONGOING.has(run.status)) {
      run.status = 'cancelled';
      delete run.finalMessage;
      return { status: 200, body: { message: PLAYBOOK_MESSAGES.cancelled } };
    }
    // "The run was canceled successfully or is already in a final state": 200 either way.
    return { status: 200, body: { message: run.finalMessage ?? run.status } };
  };

  const sim = await startSimulator('playbook', handler, options.port, options.host);
  return Object.defineProperties(Object.assign(sim, { runs }) as PlaybookSim, {
    errorKey: {
      get: () => state.errorKey,
      set: (v: 'description' | 'result') => {
        state.errorKey = v;
      },
      enumerable: true,
    },
  });
}

function scenarioResponse(scenario: Scenario, error: (status: 400 | 401 | 402 | 403 | 404 | 500) => SimResponse): SimResponse {
  switch (scenario) {
    case 'invalid':
      return error(400);
    case 'unauthorized':
      return error(401);
    case 'payment-required':
      return error(402);
    case 'forbidden':
      return error(403);
    // Playbook documents neither 409 nor 429 for cancel; anything else it cannot do is a 500.
    default:
      return error(500);
  }
}
