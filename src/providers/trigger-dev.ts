// Trigger.dev: POST /api/v2/runs/{id}/cancel answers 200 {id} whether or not anything changed,
// so the outcome comes from a read of GET /api/v3/runs/{id}, pinned to one status vocabulary
// with x-trigger-api-version. Its 429 carries x-ratelimit-reset in epoch milliseconds.
import type { CancelOptions, CancelResult, RunRef, RunSnapshot } from '../runs/domain.js';
import { GatewayError, InvalidRunInputError, RunNotCancellableError, RunNotFoundError } from '../runs/errors.js';
import { HttpClient, isObject, readErrorEnvelope, upstreamPath, type UpstreamResponse } from './http.js';
import { StatusTable, instant, alreadyCancelled, isTerminal, str, type ProviderAdapter, type RunReader } from './provider.js';

/** The API version the official SDK sends; it fixes the status set the read returns. */
export const TRIGGER_API_VERSION = '2025-07-16';

// The union of the three documented vocabularies (unversioned REST, 2025-07-16, the OpenAPI docs).
export const triggerStatuses = new StatusTable({
  PENDING: ['PENDING_VERSION', 'WAITING_FOR_DEPLOY', 'DELAYED'],
  QUEUED: ['QUEUED'],
  RUNNING: ['DEQUEUED', 'EXECUTING', 'REATTEMPTING', 'FROZEN', 'WAITING'],
  SUCCEEDED: ['COMPLETED'],
  FAILED: ['FAILED', 'CRASHED', 'INTERRUPTED', 'SYSTEM_FAILURE', 'EXPIRED', 'TIMED_OUT'],
  CANCELLED: ['CANCELED', 'CANCELLED'],
  UNKNOWN: [],
});

/**
 * The cancel answers 200 either way, so a run found cancelled was cancelled before this request
 * when this gateway had already cancelled it (a second click), or when it finished this long
 * before Trigger.dev answered our cancel. Trigger.dev's own
 * clock (the answer's Date header, whole seconds) avoids skew; the margin covers its rounding
 * and the time the cancel took. Without a Date header, our clock and a wider margin stand in.
 */
const ALREADY_CANCELLED_MARGIN_MS = 3_000;
const LOCAL_CLOCK_MARGIN_MS = 5_000;
/** How many of its own cancels the adapter remembers, oldest forgotten first. */
const REMEMBERED_CANCELS = 10_000;

export class TriggerDevAdapter implements ProviderAdapter {
  readonly provider = 'TRIGGER_DEV' as const;
  /** Runs this gateway cancelled (or asked to), so a repeated cancel is not taken for a fresh one. */
  private readonly cancelledHere = new Set<string>();

  constructor(
    private readonly http: HttpClient,
    private readonly secretKey: string,
  ) {}

  validate(): void {}

  async cancel(ref: RunRef, _options: CancelOptions, read: RunReader): Promise<CancelResult> {
    const sentAt = Date.now();
    const res = await this.http.request({
      method: 'POST',
      path: upstreamPath`/api/v2/runs/${ref.providerRunId}/cancel`,
      headers: this.headers(),
    });
    if (res.status !== 200) throw this.errorFor(res, ref, 'runId');
    // The documented 200 is {"id": "run_..."}; anything else did not come from Trigger.dev's cancel.
    if (!isObject(res.json) || typeof res.json.id !== 'string') throw this.http.malformed(res, 'a body without the run id');
    let run: RunSnapshot;
    try {
      run = await read(ref);
    } catch (error) {
      // Trigger.dev accepted the cancel: a run that cannot be read back (not yet, or not now) is
      // still a requested cancel, in a state we cannot see. "Unavailable" would invite a retry of
      // something that already happened.
      if (error instanceof GatewayError) {
        this.remember(ref);
        return { outcome: 'CANCEL_REQUESTED', run: { ref, status: 'UNKNOWN', complete: false } };
      }
      throw error;
    }
    if (run.status === 'CANCELLED') {
      const finished = Date.parse(run.finishedAt ?? '');
      const answeredAt = Date.parse(res.headers.date ?? '');
      const threshold = Number.isFinite(answeredAt) ? answeredAt - ALREADY_CANCELLED_MARGIN_MS : sentAt - LOCAL_CLOCK_MARGIN_MS;
      const before = this.cancelledHere.has(ref.providerRunId) || (Number.isFinite(finished) && finished < threshold);
      if (before) return { outcome: alreadyCancelled(res), run };
      this.remember(ref);
      return { outcome: 'CANCELLED', run };
    }
    if (isTerminal(run.status)) throw new RunNotCancellableError(run, { providerHttpStatus: 200 });
    // Cancelling is asynchronous on Trigger.dev's workers: the run is still winding down.
    this.remember(ref);
    return { outcome: 'CANCEL_REQUESTED', run };
  }

  private remember(ref: RunRef): void {
    this.cancelledHere.add(ref.providerRunId);
    if (this.cancelledHere.size > REMEMBERED_CANCELS) this.cancelledHere.delete(this.cancelledHere.values().next().value!);
  }

  async read(ref: RunRef): Promise<RunSnapshot> {
    const run = await this.http.getObject(
      { path: upstreamPath`/api/v3/runs/${ref.providerRunId}`, headers: this.headers() },
      (res) => this.errorFor(res, ref, undefined),
    );
    return toSnapshot(ref, run);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * The one error Trigger.dev renders its own way: 400 `{"error": "Params Error", "details": [{message}]}`
   * from the route builder, whose only parameter is the run id, so the details name what is wrong with it.
   */
  private errorFor(res: UpstreamResponse, ref: RunRef, field: string | undefined): GatewayError {
    if (res.status === 400 && isObject(res.json)) {
      const envelope = readErrorEnvelope(res);
      const details = Array.isArray(res.json.details)
        ? res.json.details.filter(isObject).map((d) => str(d.message)).filter((m): m is string => m !== undefined)
        : [];
      const why = [envelope.message, ...details].filter(Boolean).join(': ').slice(0, 300).split(this.secretKey).join('[REDACTED]');
      return new InvalidRunInputError(`Trigger.dev rejected the run id${why ? `: ${why}.` : '.'}`, field, 'TRIGGER_DEV', {
        providerHttpStatus: 400,
        providerCode: envelope.code,
      });
    }
    return this.http.errorFor(res, ref);
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.secretKey}`, 'x-trigger-api-version': TRIGGER_API_VERSION };
  }
}

function toSnapshot(ref: RunRef, run: Record<string, unknown>): RunSnapshot {
  const providerStatus = str(run.status);
  const status = triggerStatuses.normalize(providerStatus);
  const error = isObject(run.error) ? run.error : {};
  return {
    ref,
    status,
    providerStatus,
    createdAt: instant(run.createdAt),
    startedAt: instant(run.startedAt),
    // Not updatedAt: it moves for other reasons, and would make a fresh cancel look old.
    finishedAt: instant(run.finishedAt),
    failureMessage: status === 'FAILED' ? str(error.message) : undefined,
    failureCode: status === 'FAILED' ? failureCode(error) : undefined,
    complete: true,
  };
}

/**
 * Trigger.dev serializes its own failures (crashes, OOM, heartbeat timeouts, max duration) as
 * `{message: "trigger.dev internal error (CODE)"}` with no name; the code is the useful part.
 */
function failureCode(error: Record<string, unknown>): string | undefined {
  const internal = /^trigger\.dev internal error \(([A-Z0-9_]+)\)$/.exec(str(error.message) ?? '');
  return str(error.name) ?? internal?.[1] ?? str(error.type);
}
