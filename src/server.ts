// The HTTP face of the gateway: Yoga serving the schema built once at start, GraphiQL served
// from the package (no CDN), masked internal errors, one RequestRuns per request; in front of the
// schema, caller authentication, CORS from an allow-list, CSRF prevention and limits on requests.
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Logger } from 'pino';
import type { ApiConfig } from './config.js';
import { callerOf, GRAPHIQL_PLACEHOLDER, useCallerAuth } from './plugins/use-caller-auth.js';
import { useCorsAllowList } from './plugins/use-cors-allow-list.js';
import { useIntrospectionSwitch } from './plugins/use-introspection-switch.js';
import { useRunIdsBudget } from './plugins/use-run-ids-budget.js';
import { useVariableErrorCodes } from './plugins/use-variable-error-codes.js';
import { useSandboxRequestLog } from './plugins/use-sandbox-request-log.js';
import { useMetrics } from './plugins/use-metrics.js';
import type { Metrics } from './metrics.js';
import type { Simulator } from './sandbox/sim-server.js';
import { MAX_RUN_IDS } from './schema/run-query.js';
import { useQueryLimits } from './plugins/use-query-limits.js';
import type { Caller, Context } from './schema/builder.js';
import { getSchema } from './schema/index.js';
import { GatewayError } from './runs/errors.js';
import { LONE_SURROGATE, type RequestRuns, type RunService } from './runs/run-service.js';

// Lines short enough for GraphiQL's editor pane at a laptop's width.
export const GRAPHIQL_DEFAULT_QUERY = `# Cancel a sandbox run: press the run button (Ctrl-Enter).
# Then change provider and runId and run it again:
#   DATAFRAMER   df-succeeded, df-canceled
#   RETAB        exprun_completed, exprun_stopping
#   RUNFLOW      01J0-partial, 01J0-payment-required
#   TRIGGER_DEV  run_slow_cancel, run_rate_limited
#   PLAYBOOK     add teamId; both are UUIDs (README)
# Every seeded run: the README's sandbox tables.
# What each provider supports:
#   { providers { provider supportsRead circuit } }
mutation CancelRun {
  cancelRun(input: {
    provider: DATAFRAMER
    runId: "df-processing"
  }) {
    __typename
    ... on CancelRunSuccess {
      outcome
      run {
        id
        lifecycle {
          __typename
          ... on RunCancelled {
            status providerStatus finishedAt reason
          }
        }
      }
    }
    ... on RunNotCancellableError {
      message
      run {
        id
        lifecycle {
          __typename
          ... on RunSucceeded { providerStatus partial }
          ... on RunFailed { providerStatus failureMessage }
        }
      }
    }
    ... on ProviderRateLimitedError {
      message retryAfterSeconds
    }
    ... on ProviderUnavailableError { message retryable }
    ... on GatewayError { message code }
  }
}
`;

export interface ServerOptions {
  service: RunService;
  logger: Logger;
  /** Callers, CORS, GraphiQL, introspection and request limits (config.api). */
  api: ApiConfig;
  /** Sandbox mode: the simulated providers, whose request log is served at /sandbox/requests. */
  simulators?: readonly Simulator[];
  /** Served at /metrics when given (RUNGATE_METRICS). */
  metrics?: Metrics;
}

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, Context>;

const GRAPHQL_ENDPOINT = '/graphql';

export function createServer({ service, logger, api, simulators, metrics }: ServerOptions): GatewayYoga {
  const plugins: Plugin[] = [
    ...(api.corsOrigins.length ? [useCorsAllowList({ origins: api.corsOrigins })] : []),
    useCallerAuth({ tokens: api.tokens, logger }),
    // A GET (or a form POST) must carry a custom header, which a browser cannot add cross-site
    // without a CORS preflight. GraphiQL and ordinary clients POST JSON, which is never "simple".
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
    useIntrospectionSwitch({ enabled: api.introspection }),
    useQueryLimits({ maxDepth: api.maxDepth, maxAliases: api.maxAliases, maxTokens: api.maxTokens }),
    useRunIdsBudget(MAX_RUN_IDS),
    useVariableErrorCodes(),
    // After caller auth, so configured tokens guard them like everything else.
    ...(simulators?.length ? [useSandboxRequestLog(simulators)] : []),
    ...(metrics ? [useMetrics(metrics)] : []),
  ];
  return createYoga<Record<string, unknown>, Context>({
    schema: getSchema(),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    context: ({ request }) => {
      const caller = callerOf(request);
      return { caller, runs: auditCancels(service.forRequest(), caller, logger, metrics) };
    },
    graphiql: api.graphiql
      ? {
          title: 'rungate',
          defaultQuery: GRAPHIQL_DEFAULT_QUERY,
          // With caller tokens, the headers tab starts with the header to fill in (never a token).
          ...(api.tokens.length ? { headers: JSON.stringify({ Authorization: `Bearer ${GRAPHIQL_PLACEHOLDER}` }, null, 2) } : {}),
        }
      : false,
    renderGraphiQL,
    landingPage: api.graphiql,
    cors: false,
    plugins,
    maxRequestBodySize: api.maxRequestBytes,
    maskedErrors: {
      // A typed error that reaches the top level (where no union can hold it: federation's
      // _entities) keeps its message and code; anything else is masked as usual.
      maskError: (error, message, isDev) => {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof GatewayError && error instanceof GraphQLError) {
          return new GraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions: { code: original.code } });
        }
        return maskError(error, message, isDev);
      },
    },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error({ err: args.find((a) => a instanceof Error) }, args.filter((a) => !(a instanceof Error)).map(String).join(' ')),
    },
  });
}

/** One log line per cancel with the caller's name (never a token): who cancelled what, and how it ended. */
function auditCancels(runs: RequestRuns, caller: Caller, logger: Logger, metrics: Metrics | undefined): RequestRuns {
  const cancel = runs.cancel.bind(runs);
  runs.cancel = async (ref, options) => {
    const started = Date.now();
    const what = {
      caller: caller.name,
      provider: ref.provider,
      // Input is untrusted: keep a bounded prefix (the full value is refused by the input rules anyway).
      providerRunId: loggable(ref.providerRunId, 300),
      ...(ref.teamId !== undefined ? { teamId: loggable(ref.teamId, 100) } : {}),
    };
    try {
      const result = await cancel(ref, options);
      logger.info({ ...what, outcome: result.outcome, ms: Date.now() - started }, 'cancelRun');
      metrics?.cancel(ref.provider, result.outcome);
      return result;
    } catch (error) {
      const code = error instanceof GatewayError ? error.code : 'INTERNAL';
      logger.info({ ...what, error: code, ms: Date.now() - started }, 'cancelRun');
      metrics?.cancel(ref.provider, code);
      throw error;
    }
  };
  return runs;
}

/** A bounded prefix of untrusted text, with lone UTF-16 surrogates replaced so every log line stays valid JSON. */
function loggable(text: string, max: number): string {
  return text.slice(0, max).replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}
