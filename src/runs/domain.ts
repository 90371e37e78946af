// The gateway's domain in plain types: what every layer above the adapters speaks.

export const RUN_PROVIDERS = ['DATAFRAMER', 'RETAB', 'RUNFLOW', 'PLAYBOOK', 'TRIGGER_DEV'] as const;
export type RunProvider = (typeof RUN_PROVIDERS)[number];

export const RUN_STATUSES = ['PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'UNKNOWN'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export const CANCEL_OUTCOMES = ['CANCELLED', 'ALREADY_CANCELLED', 'CANCEL_REQUESTED'] as const;
export type CancelOutcome = (typeof CANCEL_OUTCOMES)[number];

/** Identifies one run at one provider. Playbook runs also need the owning team. */
export interface RunRef {
  provider: RunProvider;
  providerRunId: string;
  teamId?: string;
}

/** What is known of a run. Fields a provider did not tell us are absent, never guessed. */
export interface RunSnapshot {
  ref: RunRef;
  status: RunStatus;
  /** The provider's own status literal, as sent. */
  providerStatus?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  failureMessage?: string;
  failureCode?: string;
  cancelReason?: string;
  /** Runflow's partial_succeeded: terminal success with item-level failures. */
  partial?: boolean;
  /**
   * True when the snapshot came from a full read of the run; false when it was inferred from a
   * cancel answer that carried only the new status (DataFramer's 204, Playbook's message).
   */
  complete: boolean;
}

export interface CancelResult {
  outcome: CancelOutcome;
  run: RunSnapshot;
}

export interface CancelOptions {
  reason?: string;
}
