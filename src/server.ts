// The HTTP face of the gateway: Yoga serving the schema built once at start, GraphiQL served
// from the package (no CDN), masked internal errors, one RequestRuns per request.
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Logger } from 'pino';
import type { Context } from './schema/builder.js';
import { getSchema } from './schema/index.js';
import type { RunService } from './runs/run-service.js';

export const GRAPHIQL_DEFAULT_QUERY = `# Cancel a sandbox run, then try others from the README's sandbox tables:
#   DATAFRAMER  df-succeeded, df-canceled, df-rate-limited
#   RETAB       exprun_running, exprun_completed, exprun_stopping
#   RUNFLOW     01J0-running (add reason: "..."), 01J0-partial, 01J0-payment-required
#   PLAYBOOK    teamId: "7ea30000-0000-4000-8000-000000000001", runId: "00000000-0000-4000-8000-000000000004"
#   TRIGGER_DEV run_executing, run_slow_cancel, run_rate_limited
mutation CancelRun {
  cancelRun(input: { provider: DATAFRAMER, runId: "df-processing" }) {
    __typename
    ... on CancelRunSuccess {
      outcome
      run { id provider providerRunId lifecycle { __typename ... on RunCancelled { status providerStatus finishedAt reason } } }
    }
    ... on RunNotCancellableError { message run { id lifecycle { __typename ... on RunSucceeded { status providerStatus } ... on RunFailed { status providerStatus failureMessage } } } }
    ... on ProviderRateLimitedError { message retryAfterSeconds }
    ... on ProviderUnavailableError { message retryable }
    ... on GatewayError { message code }
  }
}

query Providers {
  providers { provider name configured supportsCancel supportsRead }
}
`;

export interface ServerOptions {
  service: RunService;
  logger: Logger;
  graphiql?: boolean;
}

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, Context>;

export function createServer({ service, logger, graphiql = true }: ServerOptions): GatewayYoga {
  return createYoga<Record<string, unknown>, Context>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    context: () => ({ runs: service.forRequest() }),
    graphiql: graphiql ? { title: 'rungate', defaultQuery: GRAPHIQL_DEFAULT_QUERY } : false,
    renderGraphiQL,
    maskedErrors: true,
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error({ err: args.find((a) => a instanceof Error) }, args.filter((a) => !(a instanceof Error)).map(String).join(' ')),
    },
  });
}
