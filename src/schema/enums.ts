import { CANCEL_OUTCOMES, RUN_PROVIDERS, RUN_STATUSES } from '../runs/domain.js';
import { GATEWAY_ERROR_CODES } from '../runs/errors.js';
import { builder } from './builder.js';

export const RunProviderEnum = builder.enumType('RunProvider', {
  description: 'A service that runs jobs and can cancel them.',
  values: {
    DATAFRAMER: { description: 'DataFramer (synthetic data generation runs). Global ids: dataframer:<runId>.' },
    RETAB: { description: 'Retab (workflow experiment runs). Global ids: retab:<runId>.' },
    RUNFLOW: { description: 'Runflow (model runs; cancelled through its admin API). Global ids: runflow:<runId>.' },
    PLAYBOOK: { description: 'Playbook (workflow runs, scoped by team). Global ids: playbook:<teamId>/<runId>.' },
    TRIGGER_DEV: { description: 'Trigger.dev (task runs). Global ids: trigger-dev:<runId>.' },
  } satisfies Record<(typeof RUN_PROVIDERS)[number], { description: string }>,
});

export const RunStatusEnum = builder.enumType('RunStatus', {
  description: "A run's status normalized across providers.",
  values: {
    PENDING: { description: 'Created; not yet queued for execution.' },
    QUEUED: { description: 'Waiting for a worker.' },
    RUNNING: { description: 'Executing (or paused mid-execution).' },
    SUCCEEDED: { description: 'Finished successfully.' },
    FAILED: { description: 'Finished with an error (crashed, timed out or expired included).' },
    CANCELLED: { description: 'Stopped by a cancel before it finished.' },
    UNKNOWN: { description: 'The provider sent a literal this gateway does not know, or did not say; providerStatus holds what it sent.' },
  } satisfies Record<(typeof RUN_STATUSES)[number], { description: string }>,
});

export const CancelOutcomeEnum = builder.enumType('CancelOutcome', {
  description: 'What a successful cancelRun did.',
  values: {
    CANCELLED: { description: 'This request moved the run to cancelled.' },
    ALREADY_CANCELLED: { description: 'The run was cancelled before this request; nothing changed.' },
    CANCEL_REQUESTED: { description: 'The provider accepted the cancel but the run has not reached cancelled yet.' },
  } satisfies Record<(typeof CANCEL_OUTCOMES)[number], { description: string }>,
});

export const GatewayErrorCodeEnum = builder.enumType('GatewayErrorCode', {
  description: 'A stable, machine-readable name for each error type.',
  values: GATEWAY_ERROR_CODES,
});
