// DataFramer: POST /api/dataframer/runs/{id}/cancel/ (trailing slash is part of the path),
// 204 with no body on success, 400 "Cannot cancel job" for a run that already finished, which
// may well be cancelled already: a read tells ALREADY_CANCELLED from RunNotCancellableError.
import type { CancelOptions, CancelResult, RunRef, RunSnapshot } from '../runs/domain.js';
import { ProviderConflictError, RunNotCancellableError } from '../runs/errors.js';
import { HttpClient, isObject, readErrorEnvelope, upstreamPath } from './http.js';
import { StatusTable, instant, alreadyCancelled, isTerminal, str, type ProviderAdapter, type RunReader } from './provider.js';

export const dataframerStatuses = new StatusTable({
  PENDING: ['PENDING'],
  QUEUED: [],
  RUNNING: ['PROCESSING', 'IN_PROGRESS'], // IN_PROGRESS: named in the Generate guide, not the enum
  SUCCEEDED: ['SUCCEEDED'],
  FAILED: ['FAILED'],
  CANCELLED: ['CANCELED', 'CANCELLED'],
  UNKNOWN: [],
});

/** "Cannot cancel job", "Job cannot be canceled", "can't be cancelled": the run is past cancelling. */
const REFUSED_AS_FINISHED = /\b(?:cannot|can ?not|can't|could ?not|unable to)\b(?:\s+be)?\s+cancel/i;

export class DataFramerAdapter implements ProviderAdapter {
  readonly provider = 'DATAFRAMER' as const;

  constructor(
    private readonly http: HttpClient,
    private readonly apiKey: string,
  ) {}

  validate(): void {}

  async cancel(ref: RunRef, _options: CancelOptions, read: RunReader): Promise<CancelResult> {
    const res = await this.http.request({
      method: 'POST',
      path: upstreamPath`/api/dataframer/runs/${ref.providerRunId}/cancel/`,
      headers: this.auth(),
    });
    // The documented answer is 204 with no body; a 200 is accepted only if it is empty or JSON,
    // never an HTML page from something in between that did not reach DataFramer.
    if (res.status === 200 && res.text.trim() !== '' && res.json === undefined) {
      throw this.http.malformed(res, 'a body DataFramer does not document for a cancel');
    }
    if (res.status === 204 || res.status === 200) {
      return { outcome: 'CANCELLED', run: { ref, status: 'CANCELLED', providerStatus: 'CANCELED', complete: false } };
    }
    if (res.status === 400) {
      // Documented as "Job cannot be canceled (already completed/failed)" and worded "Cannot cancel
      // job. ..." in its example: whatever the wording, the run's state says what the 400 meant.
      const refused = this.http.errorFor(res, ref);
      const saysFinished = REFUSED_AS_FINISHED.test(readErrorEnvelope(res).message ?? '');
      let run: RunSnapshot;
      try {
        run = await read(ref);
      } catch (error) {
        if (saysFinished) throw error;
        throw refused;
      }
      if (run.status === 'CANCELLED') return { outcome: alreadyCancelled(res), run };
      if (isTerminal(run.status)) throw new RunNotCancellableError(run, { providerHttpStatus: 400 });
      if (saysFinished) {
        throw new ProviderConflictError(this.provider, `the run is ${run.providerStatus ?? 'in flight'} but DataFramer refused to cancel it; retry shortly.`, {
          providerHttpStatus: 400,
        });
      }
      throw refused;
    }
    throw this.http.errorFor(res, ref);
  }

  async read(ref: RunRef): Promise<RunSnapshot> {
    const run = await this.http.getObject(
      { path: upstreamPath`/api/dataframer/runs/${ref.providerRunId}/`, headers: this.auth() },
      (res) => this.http.errorFor(res, ref),
    );
    return toSnapshot(ref, run);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }
}

function toSnapshot(ref: RunRef, run: Record<string, unknown>): RunSnapshot {
  const providerStatus = str(run.status);
  return {
    ref,
    status: dataframerStatuses.normalize(providerStatus),
    providerStatus,
    createdAt: instant(run.created_at),
    finishedAt: instant(run.completed_at),
    complete: true,
  };
}
