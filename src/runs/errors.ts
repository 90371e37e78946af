// Typed failures of a run operation. Adapters throw these; the schema maps each class to its
// GraphQL error type. Messages are written for a person and never carry upstream bodies raw.
import type { RunProvider, RunSnapshot } from './domain.js';

export const GATEWAY_ERROR_CODES = [
  'RUN_NOT_FOUND',
  'RUN_NOT_CANCELLABLE',
  'INVALID_RUN_INPUT',
  'PROVIDER_NOT_CONFIGURED',
  'PROVIDER_AUTH',
  'PROVIDER_FORBIDDEN',
  'PROVIDER_PAYMENT_REQUIRED',
  'PROVIDER_CONFLICT',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_UNAVAILABLE',
  'OPERATION_NOT_SUPPORTED',
] as const;
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

export interface UpstreamDetails {
  /** HTTP status the provider answered, when there was an answer. */
  providerHttpStatus?: number;
  /** The provider's machine-readable error code (Runflow's `code`, Trigger.dev's `code`), when sent. */
  providerCode?: string;
}

export abstract class GatewayError extends Error {
  abstract readonly code: GatewayErrorCode;
  readonly provider: RunProvider | undefined;
  readonly providerHttpStatus: number | undefined;
  readonly providerCode: string | undefined;

  constructor(message: string, provider?: RunProvider, details: UpstreamDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.provider = provider;
    this.providerHttpStatus = details.providerHttpStatus;
    this.providerCode = details.providerCode;
  }
}

export class RunNotFoundError extends GatewayError {
  readonly code = 'RUN_NOT_FOUND';
  constructor(
    provider: RunProvider,
    readonly providerRunId: string,
    details?: UpstreamDetails,
  ) {
    super(`No ${providerLabel(provider)} run "${providerRunId}" exists for the configured credentials.`, provider, details);
  }
}

export class RunNotCancellableError extends GatewayError {
  readonly code = 'RUN_NOT_CANCELLABLE';
  constructor(
    readonly run: RunSnapshot,
    details?: UpstreamDetails,
    /** What the provider said, when its words are all there is to go on. */
    providerSaid?: string,
  ) {
    super(
      `The ${providerLabel(run.ref.provider)} run "${run.ref.providerRunId}" cannot be cancelled: it has already finished` +
        (run.status === 'UNKNOWN' ? '.' : ` (${run.status.toLowerCase()}).`) +
        (providerSaid ? ` ${providerLabel(run.ref.provider)} said: "${providerSaid}"` : ''),
      run.ref.provider,
      details,
    );
  }
}

export class InvalidRunInputError extends GatewayError {
  readonly code = 'INVALID_RUN_INPUT';
  constructor(
    message: string,
    /** The input field at fault, as a GraphQL path inside the input (`runId`, `teamId`, `reason`). */
    readonly field: string | undefined,
    provider?: RunProvider,
    details?: UpstreamDetails,
  ) {
    super(message, provider, details);
  }
}

export class ProviderNotConfiguredError extends GatewayError {
  readonly code = 'PROVIDER_NOT_CONFIGURED';
  constructor(provider: RunProvider, readonly missing: string[]) {
    super(`${providerLabel(provider)} is not configured on this gateway (set ${missing.join(' and ')}).`, provider);
  }
}

export class ProviderAuthError extends GatewayError {
  readonly code = 'PROVIDER_AUTH';
  constructor(provider: RunProvider, hint: string | undefined, details?: UpstreamDetails) {
    super(`${providerLabel(provider)} rejected the gateway's credentials${hint ? `: ${hint}` : '.'}`, provider, details);
  }
}

export class ProviderForbiddenError extends GatewayError {
  readonly code = 'PROVIDER_FORBIDDEN';
  constructor(provider: RunProvider, details?: UpstreamDetails) {
    super(
      `${providerLabel(provider)} refused the operation: the configured credentials lack permission for this run` +
        (details?.providerCode ? ` (${details.providerCode}).` : '.'),
      provider,
      details,
    );
  }
}

export class ProviderPaymentRequiredError extends GatewayError {
  readonly code = 'PROVIDER_PAYMENT_REQUIRED';
  constructor(provider: RunProvider, details?: UpstreamDetails) {
    super(`${providerLabel(provider)} requires payment: the account's subscription is inactive or out of credit.`, provider, details);
  }
}

export class ProviderConflictError extends GatewayError {
  readonly code = 'PROVIDER_CONFLICT';
  constructor(provider: RunProvider, explanation: string | undefined, details?: UpstreamDetails) {
    super(
      `${providerLabel(provider)} reported a conflict with the run's current state${explanation ? `: ${explanation}` : '.'}`,
      provider,
      details,
    );
  }
}

export class ProviderRateLimitedError extends GatewayError {
  readonly code = 'PROVIDER_RATE_LIMITED';
  constructor(
    provider: RunProvider,
    /** Seconds until the provider accepts requests again, when it said so. */
    readonly retryAfterSeconds: number | undefined,
    details?: UpstreamDetails,
  ) {
    super(
      `${providerLabel(provider)} is rate limiting the gateway` +
        (retryAfterSeconds !== undefined ? `; retry in ${formatSeconds(retryAfterSeconds)}.` : '; retry later.'),
      provider,
      details,
    );
  }
}

export class ProviderUnavailableError extends GatewayError {
  readonly code = 'PROVIDER_UNAVAILABLE';
  constructor(
    provider: RunProvider,
    reason: string,
    /** Whether the same request may succeed if sent again later. */
    readonly retryable: boolean,
    details?: UpstreamDetails,
  ) {
    super(`${providerLabel(provider)} is unavailable: ${reason}`, provider, details);
  }
}

export class OperationNotSupportedError extends GatewayError {
  readonly code = 'OPERATION_NOT_SUPPORTED';
  constructor(provider: RunProvider, readonly operation: string, why: string) {
    super(`${providerLabel(provider)} does not support ${operation}: ${why}`, provider);
  }
}

const LABELS: Record<RunProvider, string> = {
  DATAFRAMER: 'DataFramer',
  RETAB: 'Retab',
  RUNFLOW: 'Runflow',
  PLAYBOOK: 'Playbook',
  TRIGGER_DEV: 'Trigger.dev',
};

export function providerLabel(provider: RunProvider): string {
  return LABELS[provider];
}

function formatSeconds(s: number): string {
  return s < 10 ? `${Math.round(s * 10) / 10} s` : `${Math.round(s)} s`;
}
