import { CANCEL_OUTCOMES, RUN_PROVIDERS, RUN_STATUSES } from '../runs/domain.js';
import { GATEWAY_ERROR_CODES } from '../runs/errors.js';
import { builder } from './builder.js';

export const RunProviderEnum = builder.enumType('RunProvider', {
  description: 'A service that runs jobs and can cancel them.',
  values: RUN_PROVIDERS,
});

export const RunStatusEnum = builder.enumType('RunStatus', {
  description: "A run's status normalized across providers. UNKNOWN: the provider sent a literal this gateway does not know.",
  values: RUN_STATUSES,
});

export const CancelOutcomeEnum = builder.enumType('CancelOutcome', {
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
