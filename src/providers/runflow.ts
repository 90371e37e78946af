// Runflow: the only cancel is the admin endpoint POST /v1/admin/runs/{id}/cancellation, which
// needs an rf_svc_ admin key (others get 401, not 403). 201 = this call cancelled the run;
// 200 = it was already terminal and comes back unchanged, whatever its final state. Both carry the
// full Run, whose status_code is what counts. Its one documented 422 is about `reason`.
import type { CancelOptions, CancelResult, RunRef, RunSnapshot } from '../runs/domain.js';
import { InvalidRunInputError, ProviderAuthError, RunNotCancellableError } from '../runs/errors.js';
import { HttpClient, isObject, readErrorEnvelope, upstreamPath } from './http.js';
import { CAPABILITIES, StatusTable, instant, alreadyCancelled, isTerminal, str, type ProviderAdapter, type RunReader } from './provider.js';

export const runflowStatuses = new StatusTable({
  PENDING: [],
  QUEUED: ['queued', 'dispatching'],
  RUNNING: ['running'],
  SUCCEEDED: ['succeeded', 'partial_succeeded'],
  FAILED: ['failed'],
  // Run records say `canceled`; webhooks and some production records say `cancelled`.
  CANCELLED: ['canceled', 'cancelled'],
  UNKNOWN: [],
});

const { min: RUNFLOW_REASON_MIN, max: RUNFLOW_REASON_MAX } = CAPABILITIES.RUNFLOW.reason!;

export class RunflowAdapter implements ProviderAdapter {
  readonly provider = 'RUNFLOW' as const;

  constructor(
    private readonly http: HttpClient,
    private readonly adminKey: string,
  ) {}

  validate(_ref: RunRef, options: CancelOptions): void {
    const reason = options.reason;
    if (reason === undefined) return;
    // Runflow's 422: "under 3 chars or all whitespace", i.e. under 3 once surrounding whitespace is
    // stripped. Characters as its server counts them: code points, not UTF-16 units.
    const length = [...reason].length;
    if ([...reason.trim()].length < RUNFLOW_REASON_MIN || length > RUNFLOW_REASON_MAX) {
      throw new InvalidRunInputError(
        `Runflow takes a cancel reason of ${RUNFLOW_REASON_MIN} to ${RUNFLOW_REASON_MAX} characters, not all whitespace; ` +
          `this one has ${length}${length !== [...reason.trim()].length ? ` (${[...reason.trim()].length} without surrounding whitespace)` : ''}. Send another reason or omit it.`,
        'reason',
        this.provider,
      );
    }
  }

  async cancel(ref: RunRef, options: CancelOptions, _read: RunReader): Promise<CancelResult> {
    const res = await this.http.request({
      method: 'POST',
      path: upstreamPath`/v1/admin/runs/${ref.providerRunId}/cancellation`,
      headers: this.auth(),
      json: options.reason === undefined ? undefined : { reason: options.reason },
    });
    if (res.status === 200 || res.status === 201) {
      if (!isObject(res.json)) throw this.http.malformed(res, 'a body that is not a run object');
      const run = toSnapshot(ref, res.json);
      if (res.status === 201) {
        // The docs: "201 Created on a real cancellation transition ... inspect status_code to confirm".
        // The reason is stored in Runflow's audit log, not on the run: report the one we sent.
        if (run.status === 'CANCELLED' || run.status === 'UNKNOWN') {
          return { outcome: 'CANCELLED', run: { ...run, status: 'CANCELLED', cancelReason: run.cancelReason ?? options.reason } };
        }
        if (isTerminal(run.status)) throw new RunNotCancellableError(run, { providerHttpStatus: 201 });
        // Accepted, but the record does not say cancelled yet.
        return { outcome: 'CANCEL_REQUESTED', run };
      }
      if (run.status === 'CANCELLED') return { outcome: alreadyCancelled(res), run };
      // 200 is documented for runs already terminal: a status we cannot place is one of those.
      if (isTerminal(run.status) || run.status === 'UNKNOWN') throw new RunNotCancellableError(run, { providerHttpStatus: 200 });
      // 200 is documented for terminal runs only; a run still in flight means the cancel did not take.
      return { outcome: 'CANCEL_REQUESTED', run };
    }
    if (res.status === 401) {
      throw new ProviderAuthError(
        this.provider,
        'cancelling needs a Runflow service key (rf_svc_...) with admin scope in RUNFLOW_ADMIN_KEY; inference keys (rf_live_...) are refused.',
        { providerHttpStatus: 401, providerCode: readErrorEnvelope(res).code },
      );
    }
    if (res.status === 422) {
      // The only documented 422 of this endpoint: `reason` failed validation. errors[] holds the detail.
      const envelope = readErrorEnvelope(res);
      const first = isObject(res.json) && Array.isArray(res.json.errors) ? res.json.errors.find(isObject) : undefined;
      const detail = str(first?.message) ?? str(first?.msg) ?? envelope.message;
      throw new InvalidRunInputError(
        `Runflow rejected the cancel reason${detail ? `: ${this.http.upstreamText(detail)}` : '.'}`,
        'reason',
        this.provider,
        { providerHttpStatus: 422, providerCode: envelope.code },
      );
    }
    throw this.http.errorFor(res, ref);
  }

  async read(ref: RunRef): Promise<RunSnapshot> {
    const run = await this.http.getObject(
      { path: upstreamPath`/v1/runs/${ref.providerRunId}`, headers: this.auth() },
      (res) => this.http.errorFor(res, ref),
    );
    return toSnapshot(ref, run);
  }

  close(): Promise<void> {
    return this.http.close();
  }


  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.adminKey}` };
  }
}

// The docs name completed_at / failure_*; the official SDK type names finished_at / error{}: read both.
function toSnapshot(ref: RunRef, run: Record<string, unknown>): RunSnapshot {
  const providerStatus = str(run.status_code);
  const status = runflowStatuses.normalize(providerStatus);
  const error = isObject(run.error) ? run.error : {};
  return {
    ref,
    status,
    providerStatus,
    createdAt: instant(run.created_at),
    startedAt: instant(run.started_at),
    finishedAt: instant(run.completed_at) ?? instant(run.finished_at),
    failureMessage: str(run.failure_message) ?? str(error.message),
    failureCode: str(run.failure_code) ?? str(error.code),
    cancelReason: status === 'CANCELLED' ? (str(run.cancel_reason) ?? str(run.cancellation_reason)) : undefined,
    partial: providerStatus?.trim().toLowerCase() === 'partial_succeeded' ? true : status === 'SUCCEEDED' ? false : undefined,
    complete: true,
  };
}
