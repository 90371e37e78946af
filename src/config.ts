// Environment -> typed, validated configuration. A wrong value stops the process at start with
// one line naming the variable; an absent provider is not an error (its operations answer
// ProviderNotConfiguredError).
import { createHash } from 'node:crypto';
import { RUN_PROVIDERS, type RunProvider } from './runs/domain.js';
import { DEFAULT_HTTP_OPTIONS, type HttpOptions, type Resilience } from './providers/http.js';
import { DEFAULT_BREAKER, DEFAULT_RETRY } from './providers/resilience.js';
import { DEFAULT_OPERATION_TIMEOUT_MS } from './runs/run-service.js';

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

/** What a caller's token lets it do: `runs:read` for every query, `runs:cancel` for cancelRun. */
export const CALLER_SCOPES = ['runs:read', 'runs:cancel'] as const;
export type CallerScope = (typeof CALLER_SCOPES)[number];

/** One entry of RUNGATE_API_TOKENS. Only the token's SHA-256 digest is kept, never the token. */
export interface ApiToken {
  name: string;
  digest: Buffer;
  scopes: ReadonlySet<CallerScope>;
}

/** The HTTP API's own settings: who may call it, from which browsers, and how big a request may be. */
export interface ApiConfig {
  /** Callers and their scopes; empty means no caller authentication (see checkCallerAuth). */
  tokens: ApiToken[];
  /** RUNGATE_ALLOW_ANONYMOUS: an operator's explicit consent to run without tokens outside sandbox mode. */
  allowAnonymous: boolean;
  /** Exact browser origins allowed by CORS; empty: no CORS headers (same-origin only). */
  corsOrigins: string[];
  graphiql: boolean;
  introspection: boolean;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  /** Largest request body accepted, in bytes (413 above it). */
  maxRequestBytes: number;
  /** RUNGATE_METRICS: serve Prometheus metrics at /metrics. */
  metrics: boolean;
}

export interface Config {
  host: string;
  port: number;
  /** Whether simulated providers are started in-process and every provider is wired to them. */
  sandbox: boolean;
  logLevel: string;
  /** Upstream HTTP settings per provider: a global default, overridable per provider. */
  http: Record<RunProvider, HttpOptions>;
  /** Retries, circuit breaking and the per-operation deadline. */
  resilience: ResilienceConfig;
  providers: ProvidersConfig;
  api: ApiConfig;
}

export interface ResilienceConfig extends Resilience {
  /** Time one operation (a cancel with the reads it needs, or a read) may take upstream. */
  operationTimeoutMs: number;
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
    resilience: {
      operationTimeoutMs: integer(get, 'RUNGATE_OPERATION_TIMEOUT_MS', DEFAULT_OPERATION_TIMEOUT_MS, 100, 120_000),
      retry: { ...DEFAULT_RETRY, maxAttempts: integer(get, 'RUNGATE_UPSTREAM_MAX_ATTEMPTS', DEFAULT_RETRY.maxAttempts, 1, 10) },
      breaker: {
        threshold: integer(get, 'RUNGATE_BREAKER_THRESHOLD', DEFAULT_BREAKER.threshold, 1, 1000),
        halfOpenAfterMs: integer(get, 'RUNGATE_BREAKER_COOLDOWN_MS', DEFAULT_BREAKER.halfOpenAfterMs, 100, 600_000),
      },
    },
    providers,
    api: apiConfig(get, sandbox),
  };
}

/**
 * Outside sandbox mode a gateway without caller tokens would let anyone who reaches it cancel runs
 * with the operator's provider credentials: refuse unless the operator said so.
 */
export function checkCallerAuth(config: Pick<Config, 'sandbox' | 'api'>): void {
  if (config.sandbox || config.api.tokens.length > 0 || config.api.allowAnonymous) return;
  throw new ConfigError(
    'RUNGATE_API_TOKENS',
    'no caller tokens are set and this is not sandbox mode: set RUNGATE_API_TOKENS (name=token:scope+scope,...), ' +
      'or RUNGATE_ALLOW_ANONYMOUS=1 to let every caller in without a token.',
  );
}

function apiConfig(get: (name: string) => string | undefined, sandbox: boolean): ApiConfig {
  const graphiqlFlag = flag(get, 'RUNGATE_GRAPHIQL');
  const graphiql = graphiqlFlag ?? sandbox;
  // GraphiQL reads the schema by introspection, so introspection follows GraphiQL unless set.
  const introspection = flag(get, 'RUNGATE_INTROSPECTION') ?? graphiql;
  if (graphiql && !introspection) {
    throw new ConfigError('RUNGATE_INTROSPECTION', 'is 0 but GraphiQL is on, and GraphiQL needs introspection: set RUNGATE_GRAPHIQL=0 too.');
  }
  return {
    tokens: apiTokens(get('RUNGATE_API_TOKENS')),
    allowAnonymous: flag(get, 'RUNGATE_ALLOW_ANONYMOUS') ?? false,
    corsOrigins: corsOrigins(get('RUNGATE_CORS_ORIGINS')),
    graphiql,
    introspection,
    maxDepth: integer(get, 'RUNGATE_MAX_DEPTH', 12, 1, 100),
    maxAliases: integer(get, 'RUNGATE_MAX_ALIASES', 30, 0, 1000),
    maxTokens: integer(get, 'RUNGATE_MAX_TOKENS', 2000, 50, 10_000), // past ~10k tokens, deep nesting can overflow the parser's stack
    // A 1 MB `reason` must still reach the input rules and come back as InvalidRunInputError.
    maxRequestBytes: integer(get, 'RUNGATE_MAX_REQUEST_BYTES', 2 * 1_048_576, 1024, 64 * 1_048_576),
    metrics: flag(get, 'RUNGATE_METRICS') ?? true,
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * RUNGATE_API_TOKENS: `name=token:scope+scope`, comma-separated. A token holds neither `:` nor `,`.
 * No error message ever quotes a token, or any part of an entry that could be one.
 */
function apiTokens(raw: string | undefined): ApiToken[] {
  if (raw === undefined) return [];
  const V = 'RUNGATE_API_TOKENS';
  const out: ApiToken[] = [];
  const byDigest = new Map<string, number>();
  raw.split(',').forEach((text, index) => {
    const n = index + 1;
    const entry = text.trim();
    const shape = 'expected name=token:scope+scope, e.g. deploy-bot=<token>:runs:read+runs:cancel';
    if (!entry) throw new ConfigError(V, `entry ${n} is empty; ${shape}.`);
    const eq = entry.indexOf('=');
    if (eq < 0) throw new ConfigError(V, `entry ${n} has no "=" after the name; ${shape}.`);
    const name = entry.slice(0, eq).trim();
    if (!name) throw new ConfigError(V, `entry ${n} has an empty name; ${shape}.`);
    // The name is logged with every cancel; anything else could be a pasted token, so it is not echoed.
    if (!NAME.test(name)) throw new ConfigError(V, `entry ${n}: the name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.`);
    const at = `entry ${n} ("${name}")`;
    const rest = entry.slice(eq + 1);
    const colon = rest.indexOf(':');
    if (colon < 0) throw new ConfigError(V, `${at} has no ":" before its scopes; ${shape}.`);
    const token = rest.slice(0, colon).trim();
    if (!token) throw new ConfigError(V, `${at} has an empty token; ${shape}.`);
    if (/[\s\x00-\x1f\x7f]/.test(token)) throw new ConfigError(V, `${at}: the token contains whitespace or a control character.`);
    const scopes = new Set<CallerScope>();
    for (const scope of rest.slice(colon + 1).split('+').map((s) => s.trim())) {
      if (!(CALLER_SCOPES as readonly string[]).includes(scope)) {
        // Scope text is shown only when it looks like a scope name, never something token-like.
        const shown = /^[a-z]+:[a-z]+$/.test(scope) ? `unknown scope "${scope}"` : scope ? 'an unknown scope' : 'an empty scope';
        throw new ConfigError(V, `${at} has ${shown}; scopes are ${CALLER_SCOPES.join(' and ')}, joined with "+".`);
      }
      scopes.add(scope as CallerScope);
    }
    const twin = out.findIndex((t) => t.name === name);
    if (twin >= 0) throw new ConfigError(V, `${at} repeats the name of entry ${twin + 1}; names must be unique.`);
    const digest = createHash('sha256').update(token, 'utf8').digest();
    const same = byDigest.get(digest.toString('hex'));
    if (same !== undefined) throw new ConfigError(V, `${at} has the same token as entry ${same}; every caller needs its own token.`);
    byDigest.set(digest.toString('hex'), n);
    out.push({ name, digest, scopes });
  });
  return out;
}

function corsOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const V = 'RUNGATE_CORS_ORIGINS';
  return raw.split(',').map((text, index) => {
    const origin = text.trim();
    const n = index + 1;
    if (origin === '*') throw new ConfigError(V, `entry ${n} is "*"; list each allowed origin exactly (e.g. https://app.example.com).`);
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError(V, `entry ${n} ("${origin}") is not an origin (expected e.g. https://app.example.com).`);
    }
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== origin) {
      throw new ConfigError(V, `entry ${n} ("${origin}") must be an exact origin: http(s), host and optional port, no path or trailing slash (e.g. ${parsed.origin === 'null' ? 'https://app.example.com' : parsed.origin}).`);
    }
    return origin;
  });
}

function flag(get: (name: string) => string | undefined, name: string): boolean | undefined {
  const raw = get(name);
  if (raw === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `expected 1 or 0, got "${raw}".`);
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
