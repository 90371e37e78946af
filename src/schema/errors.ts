// The GatewayError interface and one GraphQL type per typed error class. The errors plugin maps a
// thrown instance of a listed class to its type; anything else stays masked.
import * as E from '../runs/errors.js';
import { builder } from './builder.js';
import { GatewayErrorCodeEnum } from './enums.js';
import { RunObject } from './run.js';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export const GatewayErrorInterface = builder.interfaceRef<E.GatewayError>('GatewayError').implement({
  description: 'Every typed error: a message to show a person and a code to branch on.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What happened, in words fit to show a person; never a credential or a stack.' }),
    code: t.field({ type: GatewayErrorCodeEnum, description: 'Which error this is, for code to branch on.', resolve: (e) => e.code }),
  }),
});

/** The two fields every error that came from a provider's answer carries. */
function upstreamFields<T extends E.GatewayError>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, T>) {
  return {
    providerHttpStatus: t.int({
      nullable: true,
      description: 'The HTTP status the provider answered, when this error came from its answer.',
      resolve: (e) => e.providerHttpStatus ?? null,
    }),
    providerCode: t.string({
      nullable: true,
      description: "The provider's machine-readable error code, when it sent one (e.g. Runflow's PERMISSION_DENIED).",
      resolve: (e) => e.providerCode ?? null,
    }),
  };
}

const interfaces = [GatewayErrorInterface];

builder.objectType(E.RunNotFoundError, {
  name: 'RunNotFoundError',
  description: 'The run does not exist for the configured credentials.',
  interfaces,
  fields: (t) => ({ ...upstreamFields(t), providerRunId: t.exposeString('providerRunId', { description: 'The provider run id that was looked for.' }) }),
});

builder.objectType(E.RunNotCancellableError, {
  name: 'RunNotCancellableError',
  description: 'The run has finished in a state other than cancelled (succeeded or failed).',
  interfaces,
  fields: (t) => ({
    ...upstreamFields(t),
    run: t.field({ type: RunObject, description: 'The run, with its lifecycle as far as it can be known (RunStatusUnknown when the provider did not say).', resolve: (e) => e.run }),
  }),
});

builder.objectType(E.InvalidRunInputError, {
  name: 'InvalidRunInputError',
  description: 'The input is wrong, as the gateway checked before calling the provider, or as the provider reported (400/422).',
  interfaces,
  fields: (t) => ({
    ...upstreamFields(t),
    field: t.string({ nullable: true, description: 'The input field at fault (runId, teamId, reason, id), when known.', resolve: (e) => e.field ?? null }),
  }),
});

builder.objectType(E.ProviderNotConfiguredError, {
  name: 'ProviderNotConfiguredError',
  description: 'The gateway has no credentials for this provider.',
  interfaces,
  fields: (t) => ({
    missingVariables: t.stringList({ description: 'The environment variables an operator sets to enable it.', resolve: (e) => e.missing }),
  }),
});

builder.objectType(E.ProviderAuthError, {
  name: 'ProviderAuthError',
  description: "The provider rejected the gateway's credentials (HTTP 401), including a Runflow key without admin scope.",
  interfaces,
  fields: (t) => upstreamFields(t),
});

builder.objectType(E.ProviderForbiddenError, {
  name: 'ProviderForbiddenError',
  description: 'The provider refused the operation for these credentials (HTTP 403).',
  interfaces,
  fields: (t) => upstreamFields(t),
});

builder.objectType(E.ProviderPaymentRequiredError, {
  name: 'ProviderPaymentRequiredError',
  description: 'The provider requires payment: subscription inactive or no credit (HTTP 402).',
  interfaces,
  fields: (t) => upstreamFields(t),
});

builder.objectType(E.ProviderConflictError, {
  name: 'ProviderConflictError',
  description: "The provider reported a conflict with the run's state (HTTP 409, or a cancel refused while the run is in flight).",
  interfaces,
  fields: (t) => upstreamFields(t),
});

builder.objectType(E.ProviderRateLimitedError, {
  name: 'ProviderRateLimitedError',
  description: 'The provider is rate limiting the gateway (HTTP 429).',
  interfaces,
  fields: (t) => ({
    ...upstreamFields(t),
    retryAfterSeconds: t.float({
      nullable: true,
      description: 'Seconds until the provider accepts requests again, when it said so (Retry-After, or x-ratelimit-reset).',
      resolve: (e) => e.retryAfterSeconds ?? null,
    }),
  }),
});

builder.objectType(E.ProviderUnavailableError, {
  name: 'ProviderUnavailableError',
  description: 'The provider failed or could not be reached: 5xx, a timeout, a refused or reset connection, an unreadable answer.',
  interfaces,
  fields: (t) => ({
    ...upstreamFields(t),
    retryable: t.boolean({ description: 'Whether sending the same request again later may succeed.', resolve: (e) => e.retryable }),
  }),
});

builder.objectType(E.OperationNotSupportedError, {
  name: 'OperationNotSupportedError',
  description: 'The provider offers no API for this operation (for example, Playbook documents no way to read a run).',
  interfaces,
  fields: (t) => ({ operation: t.exposeString('operation', { description: 'What was asked for (e.g. "reading runs").' }) }),
});

/** The errors a provider operation can answer, in the order the payload unions list them. */
export const CANCEL_ERRORS = [
  E.RunNotFoundError,
  E.RunNotCancellableError,
  E.InvalidRunInputError,
  E.ProviderNotConfiguredError,
  E.ProviderAuthError,
  E.ProviderForbiddenError,
  E.ProviderPaymentRequiredError,
  E.ProviderConflictError,
  E.ProviderRateLimitedError,
  E.ProviderUnavailableError,
];

export const READ_ERRORS = [
  E.RunNotFoundError,
  E.InvalidRunInputError,
  E.ProviderNotConfiguredError,
  E.OperationNotSupportedError,
  E.ProviderAuthError,
  E.ProviderForbiddenError,
  E.ProviderPaymentRequiredError,
  E.ProviderConflictError,
  E.ProviderRateLimitedError,
  E.ProviderUnavailableError,
];
