// Start: config -> sandbox (when asked or when no credentials are set) -> gateway -> listen.
import { checkCallerAuth, ConfigError, loadConfig, type Config } from './config.js';
import { createGateway } from './gateway.js';
import { SANDBOX_REQUESTS_PATH } from './plugins/use-sandbox-request-log.js';
import { startSandbox, type Sandbox } from './sandbox/index.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    // Outside sandbox mode, no caller tokens is a refusal to start unless RUNGATE_ALLOW_ANONYMOUS=1.
    checkCallerAuth(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`rungate: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  let sandbox: Sandbox | undefined;
  if (config.sandbox) {
    sandbox = await startSandbox();
    config = { ...config, providers: sandbox.providers };
  }
  const gateway = createGateway(config, { simulators: sandbox?.simulators });
  const { logger } = gateway;
  // A request must never take the process down; log what escaped and keep serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  const url = await gateway.listen();
  const configured = [...gateway.adapters.configured.keys()].join(', ') || 'none';
  const callers = config.api.tokens.map((t) => t.name);
  logger.info({ url, sandbox: config.sandbox, providers: configured, callers: callers.length ? callers : 'anonymous' }, 'rungate listening');
  if (!callers.length && !config.sandbox) {
    logger.warn('RUNGATE_ALLOW_ANONYMOUS=1: no caller authentication, anyone who can reach this port can cancel runs');
  }
  process.stdout.write(
    `rungate listening on ${url}` +
      (config.sandbox
        ? ` (sandbox mode: simulated providers on loopback${config.api.graphiql ? '; open it in a browser for GraphiQL' : ''}; ` +
          `what they received: ${url.replace(/\/graphql$/, SANDBOX_REQUESTS_PATH)})`
        : '') +
      (callers.length || config.sandbox ? '' : ' (no caller authentication: RUNGATE_ALLOW_ANONYMOUS=1)') +
      '\n',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'rungate stopping');
    await gateway.close();
    await sandbox?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`rungate: failed to start: ${message}\n`);
  process.exit(1);
});
