// Wires one gateway from a validated config: adapters (one HTTP pool each), the run service,
// the Yoga server, and a node HTTP server around it.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream, Logger } from 'pino';
import { checkCallerAuth, type Config } from './config.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { createAdapters, type Adapters } from './providers/index.js';
import type { ResponseObserver } from './providers/http.js';
import { RunService } from './runs/run-service.js';
import type { Simulator } from './sandbox/sim-server.js';
import { createServer, type GatewayYoga } from './server.js';

export interface GatewayOptions {
  logger?: Logger;
  logDestination?: DestinationStream;
  /** Sees every upstream answer (tests use it to read headers such as Prism's sl-violations). */
  observer?: ResponseObserver;
  /** Sandbox mode: the simulators, whose request log the server shows at /sandbox/requests. */
  simulators?: readonly Simulator[];
}

export interface Gateway {
  config: Config;
  logger: Logger;
  yoga: GatewayYoga;
  service: RunService;
  adapters: Adapters;
  /** Starts listening on config.host:config.port (0 picks a free port); resolves with the GraphQL URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function createGateway(config: Config, options: GatewayOptions = {}): Gateway {
  // Never serve without caller tokens outside sandbox mode unless the operator opted in.
  checkCallerAuth(config);
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const metrics = config.api.metrics ? new Metrics() : undefined;
  const adapters = createAdapters(config, logger, options.observer, metrics);
  metrics?.watchCircuits(adapters.clients);
  const service = new RunService({
    adapters: adapters.configured,
    providers: config.providers,
    circuits: adapters.clients,
    operationTimeoutMs: config.resilience.operationTimeoutMs,
  });
  const yoga = createServer({ service, logger, api: config.api, simulators: options.simulators, metrics });
  let server: Server | undefined;

  return {
    config,
    logger,
    yoga,
    service,
    adapters,
    listen: () =>
      new Promise((resolve, reject) => {
        server = createHttpServer(yoga);
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server!.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve(`http://${host}:${port}/graphql`);
        });
      }),
    close: async () => {
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        });
      }
      await yoga.dispose();
      await adapters.close();
    },
  };
}
