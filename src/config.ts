// Environment -> typed, validated configuration. A wrong value stops the process at start with
// one line naming the variable; an absent provider is not an error (its operations answer
// ProviderNotConfiguredError).
import { RUN_PROVIDERS, type RunProvider } from './runs/domain.js';
import { DEFAULT_HTTP_OPTIONS, type HttpOptions } from './providers/http.js';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface ProviderCredentials {
  DATAFRAMER: { apiKey: string };
  RETAB: { apiKey: string };
  RUNFLOW: { adminKey: string };
  PLAYBOOK: { apiKey: string; jwt: string };
  TRIGGER_DEV: { secretKey: string };
}

export interface ProviderConfig<P extends RunProvider = RunProvider> {
  baseUrl: string | undefined;
  credentials: ProviderCredentials[P] | undefined;
  /** The variables to set for this provider to work, named in ProviderNotConfiguredError. */
  credentialVariables: string[];
}

export type ProvidersConfig = { [P in RunProvider]: ProviderConfig<P> };

export interface Config {
  host: string;
  port: number;
  /** Whether simulated providers are started in-process and every provider is wired to them. */
  sandbox: boolean;
  logLevel: string;
  /** Upstream HTTP settings per provider: a global default, overridable per provider. */
  http: Record<RunProvider, HttpOptions>;
  providers: ProvidersConfig;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const providers: ProvidersConfig = {
    DATAFRAMER: single(get, 'DATAFRAMER_API_KEY', 'DATAFRAMER_BASE_URL', 'https://df-api.dataframer.ai', '/api', (apiKey) => ({ apiKey })),
    RETAB: single(get, 'RETAB_API_KEY', 'RETAB_BASE_URL', 'https://api.retab.com', '/v1', (apiKey) => ({ apiKey })),
    RUNFLOW: single(get, 'RUNFLOW_ADMIN_KEY', 'RUNFLOW_BASE_URL', 'https://api.runflow.io', '/v1', (adminKey) => ({ adminKey })),
    PLAYBOOK: playbook(get),
    TRIGGER_DEV: single(get, 'TRIGGER_SECRET_KEY', 'TRIGGER_BASE_URL', 'https://api.trigger.dev', '/api', (secretKey) => ({ secretKey })),
  };
  const anyCredentials = Object.values(providers).some((p) => p.credentials !== undefined);
  const sandboxFlag = get('RUNGATE_SANDBOX');
  let sandbox: boolean;
  if (sandboxFlag === undefined) sandbox = !anyCredentials;
  else if (/^(1|true|yes|on)$/i.test(sandboxFlag)) sandbox = true;
  else if (/^(0|false|no|off)$/i.test(sandboxFlag)) sandbox = false;
  else throw new ConfigError('RUNGATE_SANDBOX', `expected 1 or 0, got "${sandboxFlag}".`);

  return {
    host: get('HOST') ?? '127.0.0.1',
    port: integer(get, 'PORT', 4000, 0, 65535),
    sandbox,
    logLevel: logLevel(get('LOG_LEVEL') ?? 'info'),
    http: httpOptions(get),
    providers,
  };
}

function httpOptions(get: (name: string) => string | undefined): Record<RunProvider, HttpOptions> {
  const d = DEFAULT_HTTP_OPTIONS;
  const timeoutMs = integer(get, 'RUNGATE_UPSTREAM_TIMEOUT_MS', d.timeoutMs, 100, 60_000);
  const concurrency = integer(get, 'RUNGATE_UPSTREAM_CONCURRENCY', d.concurrency, 1, 256);
  const maxBodyBytes = integer(get, 'RUNGATE_UPSTREAM_MAX_BODY_BYTES', d.maxBodyBytes, 1024, 64 * 1_048_576);
  const out = {} as Record<RunProvider, HttpOptions>;
  for (const p of RUN_PROVIDERS) {
    out[p] = {
      timeoutMs: integer(get, `RUNGATE_${p}_TIMEOUT_MS`, timeoutMs, 100, 60_000),
      concurrency: integer(get, `RUNGATE_${p}_CONCURRENCY`, concurrency, 1, 256),
      maxBodyBytes,
    };
  }
  return out;
}

function single<C>(
  get: (name: string) => string | undefined,
  keyVar: string,
  urlVar: string,
  defaultUrl: string,
  apiPrefix: string,
  credentials: (key: string) => C,
): { baseUrl: string; credentials: C | undefined; credentialVariables: string[] } {
  const key = get(keyVar);
  const baseUrl = url(get, urlVar) ?? defaultUrl;
  // The adapters add the API's own prefix; a base URL that ends with it would double it (/v1/v1/...).
  if (new URL(baseUrl).pathname.replace(/\/+$/, '').endsWith(apiPrefix)) {
    throw new ConfigError(urlVar, `must be the API's root, without ${apiPrefix} (e.g. ${defaultUrl}).`);
  }
  return { baseUrl, credentials: key ? credentials(key) : undefined, credentialVariables: [keyVar] };
}

function playbook(get: (name: string) => string | undefined): ProviderConfig<'PLAYBOOK'> {
  const apiKey = get('PLAYBOOK_API_KEY');
  const jwt = get('PLAYBOOK_JWT');
  const baseUrl = url(get, 'PLAYBOOK_BASE_URL');
  const credentialVariables = ['PLAYBOOK_API_KEY', 'PLAYBOOK_JWT', 'PLAYBOOK_BASE_URL'];
  if (!apiKey && !jwt) return { baseUrl, credentials: undefined, credentialVariables };
  if (!apiKey) throw new ConfigError('PLAYBOOK_API_KEY', 'must be set together with PLAYBOOK_JWT: Playbook needs both.');
  if (!jwt) throw new ConfigError('PLAYBOOK_JWT', 'must be set together with PLAYBOOK_API_KEY: Playbook needs both.');
  if (!baseUrl) throw new ConfigError('PLAYBOOK_BASE_URL', 'is required with Playbook credentials: Playbook publishes no default host.');
  return { baseUrl, credentials: { apiKey, jwt }, credentialVariables };
}

function url(get: (name: string) => string | undefined, name: string): string | undefined {
  const raw = get(name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `"${raw}" is not an absolute URL (expected e.g. https://api.example.com).`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http or https URL, got "${parsed.protocol}".`);
  }
  if (parsed.username || parsed.password) throw new ConfigError(name, 'must not carry credentials; use the key variables.');
  if (parsed.search || parsed.hash) throw new ConfigError(name, 'must not have a query string or fragment.');
  return raw.replace(/\/+$/, '');
}

function integer(get: (name: string) => string | undefined, name: string, fallback: number, min: number, max: number): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${raw}".`);
  }
  return Number(raw);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
function logLevel(level: string): string {
  if (!LOG_LEVELS.includes(level)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${level}".`);
  return level;
}
