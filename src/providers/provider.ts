// The one small interface every provider adapter implements. Adapters know one vendor's dialect
// and nothing of GraphQL; they throw the typed errors of runs/errors.ts.
import type { CancelOptions, CancelOutcome, CancelResult, RunProvider, RunRef, RunSnapshot, RunStatus } from '../runs/domain.js';
import type { UpstreamResponse } from './http.js';

export interface ProviderCapabilities {
  cancel: boolean;
  read: boolean;
  /** Whether a cancel needs the run's team (CancelRunInput.teamId). */
  teamId: boolean;
  /** The cancel reason the provider takes, in characters; absent: a reason is not forwarded. */
  reason?: { min: number; max: number };
}

/** What each provider's API offers, known without credentials so clients can tell before they try. */
export const CAPABILITIES: Record<RunProvider, ProviderCapabilities> = {
  DATAFRAMER: { cancel: true, read: true, teamId: false },
  RETAB: { cancel: true, read: true, teamId: false },
  RUNFLOW: { cancel: true, read: true, teamId: false, reason: { min: 3, max: 500 } },
  PLAYBOOK: { cancel: true, read: false, teamId: true }, // Playbook documents no single-run read
  TRIGGER_DEV: { cancel: true, read: true, teamId: false },
};

/** Reads a run; adapters use it for the reads a cancel needs, so those reads share the request's loader. */
export type RunReader = (ref: RunRef) => Promise<RunSnapshot>;

export interface ProviderAdapter {
  readonly provider: RunProvider;
  /** Input rules this provider documents; throws InvalidRunInputError before any upstream call. */
  validate(ref: RunRef, options: CancelOptions): void;
  cancel(ref: RunRef, options: CancelOptions, read: RunReader): Promise<CancelResult>;
  /** Throws OperationNotSupportedError where the provider documents no read. */
  read(ref: RunRef): Promise<RunSnapshot>;
  close(): Promise<void>;
}

/**
 * A provider's status vocabulary: literal -> normalized status. Lookup trims and ignores case,
 * so `CANCELED`, `canceled` and `Cancelled ` all resolve; unknown literals become UNKNOWN and the
 * literal itself is kept for the client.
 */
export class StatusTable {
  private readonly map: Map<string, RunStatus>;
  constructor(entries: Record<RunStatus, readonly string[]>) {
    this.map = new Map();
    for (const [status, literals] of Object.entries(entries) as [RunStatus, readonly string[]][]) {
      for (const literal of literals) this.map.set(literal.trim().toLowerCase(), status);
    }
  }
  normalize(literal: unknown): RunStatus {
    return typeof literal === 'string' ? (this.map.get(literal.trim().toLowerCase()) ?? 'UNKNOWN') : 'UNKNOWN';
  }
  literals(): string[] {
    return [...this.map.keys()];
  }
}

export function isTerminal(status: RunStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
}

/**
 * Reads an optional timestamp as an ISO-8601 instant in UTC; a value that is not a time
 * ("yesterday", 0, {}) counts as absent rather than failing the whole answer.
 */
export function instant(v: unknown): string | undefined {
  const s = str(v);
  const ms = s === undefined ? NaN : Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Reads an optional string field; anything else (null, numbers, objects) counts as absent. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The outcome when a cancel finds its run already cancelled. If the answer came to a retried
 * attempt, an earlier one may have reached the provider and done it (a proxy's 502 after the
 * cancel took effect): then it was this request that cancelled the run.
 */
export function alreadyCancelled(res: UpstreamResponse): CancelOutcome {
  return res.attempt > 1 ? 'CANCELLED' : 'ALREADY_CANCELLED';
}
