// Playbook: POST /cancel/{team_id}/{run_id}, both UUIDs, with two credentials (x-api-key and a
// JWT bearer). 200 means "cancelled" or "already in a final state", and only the message says
// which; Playbook documents no read, so what the message names is all we can know.
import type { CancelOptions, CancelResult, RunRef, RunSnapshot } from '../runs/domain.js';
import { InvalidRunInputError, OperationNotSupportedError, RunNotCancellableError } from '../runs/errors.js';
import { HttpClient, isObject, upstreamPath } from './http.js';
import { StatusTable, str, type ProviderAdapter } from './provider.js';

// Playbook runs on ComfyDeploy; its literals are the probable superset (no terminal set is published).
export const playbookStatuses = new StatusTable({
  PENDING: ['not-started'],
  QUEUED: ['queued'],
  RUNNING: ['started', 'running', 'uploading'],
  SUCCEEDED: ['success', 'executed', 'completed', 'succeeded'],
  FAILED: ['failed', 'timeout', 'error'],
  CANCELLED: ['cancelled', 'canceled'],
  UNKNOWN: [],
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CANCELLED_NOW = /\bsuccess(fully)?\b.*\bcancel+ed\b|\bcancel+ed\b.*\bsuccess(fully)?\b/i;

export class PlaybookAdapter implements ProviderAdapter {
  readonly provider = 'PLAYBOOK' as const;

  constructor(
    private readonly http: HttpClient,
    private readonly apiKey: string,
    private readonly jwt: string,
  ) {}

  validate(ref: RunRef): void {
    if (!ref.teamId) {
      throw new InvalidRunInputError('Playbook needs teamId: the UUID of the team that owns the run.', 'teamId', this.provider);
    }
    if (!UUID.test(ref.teamId)) {
      throw new InvalidRunInputError(`Playbook team ids are UUIDs; "${clip(ref.teamId)}" is not one.`, 'teamId', this.provider);
    }
    if (!UUID.test(ref.providerRunId)) {
      throw new InvalidRunInputError(`Playbook run ids are UUIDs; "${clip(ref.providerRunId)}" is not one.`, 'runId', this.provider);
    }
  }

  async cancel(ref: RunRef, _options: CancelOptions): Promise<CancelResult> {
    const res = await this.http.request({
      method: 'POST',
      path: upstreamPath`/cancel/${ref.teamId ?? ''}/${ref.providerRunId}`,
      headers: { 'x-api-key': this.apiKey, authorization: `Bearer ${this.jwt}` },
    });
    if (res.status !== 200) throw this.http.errorFor(res, ref);
    const message = isObject(res.json) ? str(res.json.message) : undefined;
    if (message === undefined) throw this.http.malformed(res, 'no message');
    if (CANCELLED_NOW.test(message)) {
      return { outcome: 'CANCELLED', run: { ref, status: 'CANCELLED', complete: false } };
    }
    // "Already in a final state": the message is, or names, that state.
    const providerStatus = finalStateIn(message);
    const run: RunSnapshot = {
      ref,
      status: providerStatus ? playbookStatuses.normalize(providerStatus) : 'UNKNOWN',
      providerStatus: providerStatus ?? message,
      complete: false,
    };
    if (run.status === 'CANCELLED') return { outcome: 'ALREADY_CANCELLED', run };
    throw new RunNotCancellableError(run, { providerHttpStatus: 200 });
  }

  read(): Promise<RunSnapshot> {
    return Promise.reject(
      new OperationNotSupportedError(this.provider, 'reading runs', 'Playbook documents no endpoint that reads a single run.'),
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

function finalStateIn(message: string): string | undefined {
  const words = message.toLowerCase().match(/[a-z]+(-[a-z]+)*/g) ?? [];
  // The last status word wins: "Run is already in a final state: success".
  return words.reverse().find((w) => playbookStatuses.normalize(w) !== 'UNKNOWN');
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
