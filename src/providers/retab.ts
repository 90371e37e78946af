// Retab experiment runs: POST /v1/workflows/experiments/runs/{id}/cancel answers 200 with the
// run's new lifecycle (which may not be `cancelled` if the cancel lost a race), and 404 both for
// a run that does not exist and for one that is no longer cancellable: a read tells which.
import type { CancelOptions, CancelResult, RunRef, RunSnapshot } from '../runs/domain.js';
import { InvalidRunInputError, ProviderConflictError, RunNotCancellableError, RunNotFoundError, ProviderUnavailableError, type GatewayError } from '../runs/errors.js';
import { HttpClient, isObject, upstreamPath, type UpstreamResponse } from './http.js';
import { StatusTable, instant, alreadyCancelled, isTerminal, str, type ProviderAdapter, type RunReader } from './provider.js';

// Experiment-run vocabulary only; Retab's workflow runs use a different set.
export const retabStatuses = new StatusTable({
  PENDING: ['pending'],
  QUEUED: ['queued'],
  RUNNING: ['running'],
  SUCCEEDED: ['completed'],
  FAILED: ['error'],
  CANCELLED: ['cancelled', 'canceled'],
  UNKNOWN: [],
});

export class RetabAdapter implements ProviderAdapter {
  readonly provider = 'RETAB' as const;

  constructor(
    private readonly http: HttpClient,
    private readonly apiKey: string,
  ) {}

  validate(): void {}

  async cancel(ref: RunRef, _options: CancelOptions, read: RunReader): Promise<CancelResult> {
    const res = await this.http.request({
      method: 'POST',
      path: upstreamPath`/v1/workflows/experiments/runs/${ref.providerRunId}/cancel`,
      headers: this.auth(),
    });
    if (res.status === 200) {
      if (!isObject(res.json) || !isObject(res.json.lifecycle)) throw this.http.malformed(res, 'a body without a lifecycle');
      // The cancel answer carries the lifecycle and, as documented, the timing: everything a
      // snapshot holds, so no read is needed. Only `id` and `lifecycle` are required by the
      // schema, so without `timing` the snapshot is partial and details are read on demand.
      const run = { ...toSnapshot(ref, res.json), complete: isObject(res.json.timing) };
      if (run.status === 'CANCELLED') return { outcome: 'CANCELLED', run };
      // The cancel lost a race: the run finished (completed, error) before it took hold.
      if (isTerminal(run.status)) throw new RunNotCancellableError(run, { providerHttpStatus: 200 });
      // Accepted, but the run is still winding down.
      return { outcome: 'CANCEL_REQUESTED', run };
    }
    if (res.status === 404) {
      let run: RunSnapshot;
      try {
        run = await read(ref);
      } catch (error) {
        if (error instanceof RunNotFoundError) throw new RunNotFoundError(this.provider, ref.providerRunId, { providerHttpStatus: 404 });
        throw error;
      }
      if (run.status === 'CANCELLED') return { outcome: alreadyCancelled(res), run };
      if (isTerminal(run.status)) throw new RunNotCancellableError(run, { providerHttpStatus: 404 });
      // Still in flight yet "not cancellable": Retab's read-after-write lag; a retry may succeed.
      throw new ProviderConflictError(
        this.provider,
        `the run is ${run.providerStatus ?? 'in flight'} but Retab refused to cancel it; retry shortly.`,
        { providerHttpStatus: 404 },
      );
    }
    throw this.errorFor(res, ref);
  }

  async read(ref: RunRef): Promise<RunSnapshot> {
    const run = await this.http.getObject(
      { path: upstreamPath`/v1/workflows/experiments/runs/${ref.providerRunId}`, headers: this.auth() },
      (res) => this.errorFor(res, ref),
    );
    // Older renderings of the route give a flat `status`; a run with neither is not a run.
    if (!isObject(run.lifecycle) && typeof run.status !== 'string') {
      throw new ProviderUnavailableError(this.provider, 'it answered a run without a lifecycle.', false, { providerHttpStatus: 200 });
    }
    return toSnapshot(ref, run);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * The shared mapping, plus two FastAPI details: a 422 whose `loc` is the path's run_id names the
   * runId field; and route-level answers for an id with `/`. Starlette routes on the
   * percent-decoded path, so `a%2Fcancel` reaches another route (GET `.../runs/a/cancel` is a 405)
   * and `a%2F` a trailing-slash redirect (307). No Retab run can have such an id: not found.
   */
  private errorFor(res: UpstreamResponse, ref: RunRef): GatewayError {
    if ((res.status === 405 || res.status === 307 || res.status === 308) && ref.providerRunId.includes('/')) {
      return new RunNotFoundError(this.provider, ref.providerRunId, { providerHttpStatus: res.status });
    }
    const error = this.http.errorFor(res, ref);
    if (error instanceof InvalidRunInputError && blamesRunId(res.json)) {
      return new InvalidRunInputError(error.message, 'runId', this.provider, {
        providerHttpStatus: error.providerHttpStatus,
        providerCode: error.providerCode,
      });
    }
    return error;
  }

  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }
}

function toSnapshot(ref: RunRef, run: Record<string, unknown>): RunSnapshot {
  const lifecycle = isObject(run.lifecycle) ? run.lifecycle : { status: run.status };
  const timing = isObject(run.timing) ? run.timing : {};
  const details = isObject(lifecycle.details) ? lifecycle.details : {};
  const providerStatus = str(lifecycle.status);
  const status = retabStatuses.normalize(providerStatus);
  return {
    ref,
    status,
    providerStatus,
    createdAt: instant(timing.created_at),
    startedAt: instant(timing.started_at),
    finishedAt: instant(timing.completed_at),
    failureMessage: status === 'FAILED' ? (str(lifecycle.message) ?? str(details.message)) : undefined,
    failureCode: status === 'FAILED' ? str(details.error_code) : undefined,
    cancelReason: status === 'CANCELLED' ? str(lifecycle.reason) : undefined,
    complete: true,
  };
}

/** Whether an HTTPValidationError `{"detail": [{loc: ["path", "run_id"], ...}]}` is about the run id. */
function blamesRunId(body: unknown): boolean {
  if (!isObject(body) || !Array.isArray(body.detail)) return false;
  return body.detail.some((d) => isObject(d) && Array.isArray(d.loc) && d.loc[0] === 'path' && d.loc[1] === 'run_id');
}
