// Starts a real gateway on a loopback port, configured from an env map like an operator would.
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { startSimulator, type SimHandler, type Simulator } from '../../src/sandbox/sim-server.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** Every log line written, for checks such as "no credential in the logs". */
  logs: string[];
  /**
   * POSTs one GraphQL operation and returns the parsed JSON answer, with the gateway's default
   * token (startGateway's `token` option) as a bearer token unless headers set authorization.
   */
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: any[] }>;
  close(): Promise<void>;
}

export interface StartOptions extends GatewayOptions {
  /** Sent by gql() as `Authorization: Bearer <token>` (tests of caller auth configure RUNGATE_API_TOKENS). */
  token?: string;
}

/**
 * Starts a gateway outside sandbox mode. Without RUNGATE_API_TOKENS in env it runs without caller
 * authentication (RUNGATE_ALLOW_ANONYMOUS=1 by default), as the tests of everything else expect.
 */
export async function startGateway(env: Record<string, string | undefined>, options: StartOptions = {}): Promise<TestGateway> {
  const { token, ...gatewayOptions } = options;
  const config = loadConfig({ RUNGATE_SANDBOX: '0', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RUNGATE_ALLOW_ANONYMOUS: '1', ...env });
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const gateway = createGateway(config, { logDestination, ...gatewayOptions });
  const url = await gateway.listen();
  return {
    gateway,
    url,
    logs,
    gql: async (query, variables, headers) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: any[] };
    },
    close: () => gateway.close(),
  };
}

/** Every field of a Run a client may show, lifecycle members included. */
export const RUN_FIELDS = /* GraphQL */ `
  fragment RunFields on Run {
    id provider providerRunId teamId createdAt startedAt finishedAt
    lifecycle {
      __typename
      ... on RunPending { status providerStatus }
      ... on RunQueued { status providerStatus }
      ... on RunRunning { status providerStatus startedAt }
      ... on RunSucceeded { status providerStatus finishedAt partial }
      ... on RunFailed { status providerStatus finishedAt failureMessage failureCode }
      ... on RunCancelled { status providerStatus finishedAt reason }
      ... on RunStatusUnknown { status providerStatus }
    }
  }
`;

/** The fields of every error type, for selections on CancelRunPayload and RunResult. */
const ERROR_FIELDS = /* GraphQL */ `
  ... on GatewayError { message code }
  ... on RunNotFoundError { providerRunId providerHttpStatus providerCode }
  ... on InvalidRunInputError { field providerHttpStatus providerCode }
  ... on ProviderAuthError { providerHttpStatus providerCode }
  ... on ProviderForbiddenError { providerHttpStatus providerCode }
  ... on ProviderPaymentRequiredError { providerHttpStatus providerCode }
  ... on ProviderConflictError { providerHttpStatus providerCode }
  ... on ProviderRateLimitedError { providerHttpStatus providerCode retryAfterSeconds }
  ... on ProviderUnavailableError { providerHttpStatus providerCode retryable }
`;

/** The selection every cancel test asks for: the whole payload union, all fields a client may show. */
export const CANCEL_RUN = /* GraphQL */ `
  mutation Cancel($input: CancelRunInput!) {
    cancelRun(input: $input) {
      __typename
      ${ERROR_FIELDS}
      ... on CancelRunSuccess { outcome run { ...RunFields } }
      ... on RunNotCancellableError { providerHttpStatus run { ...RunFields } }
      ... on ProviderNotConfiguredError { missingVariables }
    }
  }
  ${RUN_FIELDS}
`;

const RUN_RESULT = /* GraphQL */ `
  fragment RunResultFields on RunResult {
    __typename
    ... on Run { ...RunFields }
    ${ERROR_FIELDS}
    ... on ProviderNotConfiguredError { missingVariables }
    ... on OperationNotSupportedError { operation }
  }
  ${RUN_FIELDS}
`;

/** Reads one run by global id, selecting every member of RunResult. */
export const READ_RUN = `query ReadRun($id: ID!) { run(id: $id) { ...RunResultFields } } ${RUN_RESULT}`;

/** Reads many runs by global id, selecting every member of RunResult. */
export const READ_RUNS = `query ReadRuns($ids: [ID!]!) { runs(ids: $ids) { ...RunResultFields } } ${RUN_RESULT}`;

/**
 * A one-off provider for one test: a loopback simulator answering with `handler`, a gateway wired
 * to it by `env(url)`, both closed afterwards. For answers the seeded simulators never give.
 */
export async function withStubProvider<T>(
  handler: SimHandler,
  env: (url: string) => Record<string, string>,
  fn: (gw: TestGateway, stub: Simulator) => Promise<T>,
): Promise<T> {
  const stub = await startSimulator('stub', handler);
  const gw = await startGateway(env(stub.url));
  try {
    return await fn(gw, stub);
  } finally {
    await gw.close();
    await stub.close();
  }
}
