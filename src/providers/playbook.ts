// Playbook: POST /cancel/{team_id}/{run_id}, both UUIDs, with two credentials (x-api-key and a
// JWT bearer). 200 means "cancelled" or "already in a final state", and only the message says
// which; Playbook documents no read, so what the message names is all we can know.
import type { CancelOptions, CancelResult, RunRef, RunSnapshot } from '../runs/domain.js';
import { InvalidRunInputError, OperationNotSupportedError, ProviderAuthError, RunNotCancellableError } from '../runs/errors.js';
import { HttpClient, isObject, upstreamPath } from './http.js';
import { StatusTable, alreadyCancelled, isTerminal, str, type ProviderAdapter } from './provider.js';

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
// "Run successfully canceled." (and its spelling variants), unless it says "already" or "cannot".
const CANCELLED_NOW = /\bsuccess(fully)?\b.*\bcancel+ed\b|\bcancel+ed\b.*\bsuccess(fully)?\b/i;
const ALREADY = /\balready\b/i;
// "cannot be canceled", "could not cancel", "can't be cancelled": the verb, not the state.
const NEGATED_CANCEL = /\b(?:cannot|can ?not|can't|could ?not|couldn't|unable to|not)\b(?:\s+be)?\s+cancel+(?:ed)?\b/i;
const AUTH_HINT =
  'Playbook needs both a valid x-api-key (PLAYBOOK_API_KEY) and a valid, unexpired JWT (PLAYBOOK_JWT); its answer does not say which one it refused.';

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
    if (res.status === 401) throw new ProviderAuthError(this.provider, AUTH_HINT, { providerHttpStatus: 401 });
    if (res.status !== 200) throw this.http.errorFor(res, ref);
    // The documented 200 body is {"message": "..."}; a bare JSON string, the error envelope's keys
    // (result/description) and a separate `status` are read too rather than failing on an
    // undocumented shape.
    const body = res.json;
    const message = typeof body === 'string' ? firstString(body) : isObject(body) ? firstString(body.message, body.result, body.description) : undefined;
    const statusField = isObject(body) ? firstString(body.status) : undefined;
    if (message === undefined && statusField === undefined) throw this.http.malformed(res, 'no message');
    const text = this.http.upstreamText(message ?? '');
    if (!ALREADY.test(text) && !NEGATED_CANCEL.test(text) && CANCELLED_NOW.test(text)) {
      return { outcome: 'CANCELLED', run: { ref, status: 'CANCELLED', complete: false } };
    }
    // "Already in a final state": the message is, or names, that state (a `status` field, if
    // one is ever sent, says it more plainly). A message that names no state we know is kept
    // whole as the provider's status: it is all Playbook said.
    const named = statusField && playbookStatuses.normalize(statusField) !== 'UNKNOWN' ? statusField : finalStateIn(text);
    const run: RunSnapshot = {
      ref,
      status: named ? playbookStatuses.normalize(named) : 'UNKNOWN',
      // A status literal, never a sentence: what Playbook said in words goes into the error's message.
      providerStatus: named ?? (statusField ? this.http.upstreamText(statusField) : undefined),
      complete: false,
    };
    if (run.status === 'CANCELLED') return { outcome: alreadyCancelled(res), run };
    // Undocumented: a 200 that names a state still in flight. The cancel was accepted and the
    // run has not reached cancelled yet.
    if (run.status !== 'UNKNOWN' && !isTerminal(run.status)) return { outcome: 'CANCEL_REQUESTED', run };
    throw new RunNotCancellableError(run, { providerHttpStatus: 200 }, named ? undefined : clip(text, 200));
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
  // "Run cannot be canceled: it finished with status success" names success, not a cancel.
  const words = message.replace(new RegExp(NEGATED_CANCEL.source, 'gi'), ' ').match(/[a-z]+(-[a-z]+)*/gi) ?? [];
  // The last status word wins ("Run is already in a final state: success"), kept as sent.
  return words.reverse().find((w) => playbookStatuses.normalize(w) !== 'UNKNOWN');
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) {
    const s = typeof v === 'string' ? str(v.trim()) : undefined;
    if (s !== undefined) return s;
  }
  return undefined;
}

function clip(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
