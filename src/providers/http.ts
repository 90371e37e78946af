// The one HTTP core every adapter uses: a keep-alive undici pool per provider origin, a deadline
// on every request, bounded bodies, JSON parsed only when the answer is JSON, the providers'
// error envelopes read in one place, and credentials kept out of everything it reports.
import { Pool, errors as undiciErrors } from 'undici';
import type { Logger } from 'pino';
import { BrokenCircuitError, IsolatedCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import type { Metrics } from '../metrics.js';
import type { RunProvider, RunRef } from '../runs/domain.js';
import {
  GatewayError,
  InvalidRunInputError,
  ProviderAuthError,
  ProviderConflictError,
  ProviderForbiddenError,
  ProviderPaymentRequiredError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  RunNotFoundError,
  providerLabel,
  type UpstreamDetails,
} from '../runs/errors.js';
import {
  ConnectionFailure,
  DEFAULT_BREAKER,
  DEFAULT_RETRY,
  circuitStateName,
  createBreaker,
  remainingMs,
  retryDelay,
  sleep,
  type BreakerOptions,
  type CircuitStateName,
  type RetryOptions,
} from './resilience.js';

export interface HttpOptions {
  /** Whole-request deadline: connect, headers and body together. */
  timeoutMs: number;
  /** Bodies larger than this are refused rather than buffered. */
  maxBodyBytes: number;
  /** Most requests in flight to the provider at once (sockets in its pool); more wait their turn. */
  concurrency: number;
}

// 4 MiB: Trigger.dev returns a run's payload and output inline (up to 512 KiB each before it offloads them).
export const DEFAULT_HTTP_OPTIONS: HttpOptions = { timeoutMs: 8_000, maxBodyBytes: 4 * 1_048_576, concurrency: 8 };

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Path below the base URL, already encoded (build it with `upstreamPath`). */
  path: string;
  headers?: Record<string, string>;
  /** Sent as application/json when present. */
  json?: unknown;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The parsed body when the provider sent JSON; undefined for empty or non-JSON bodies. */
  json: unknown;
  /**
   * Which attempt this answer is to. Above 1, an earlier attempt may have reached the provider
   * and done the work (a 502 from a proxy in front of it, a reset after the request was sent).
   */
  attempt: number;
}

export interface ResponseObserver {
  (event: { provider: RunProvider; request: UpstreamRequest; response: UpstreamResponse; durationMs: number }): void;
}

/**
 * Builds an upstream path from a template, percent-encoding every interpolated value so a run id
 * can never add a path segment (`a/b`), climb out of one (`..`), or start a query (`?`).
 */
export function upstreamPath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeSegment(values[i]!) : ''), '');
}

function encodeSegment(value: string): string {
  const encoded = encodeURIComponent(value);
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

export interface Resilience {
  retry: RetryOptions;
  breaker: BreakerOptions;
}

export interface HttpClientOptions {
  provider: RunProvider;
  baseUrl: string;
  http: HttpOptions;
  logger: Logger;
  redactor: Redactor;
  /** Sees every upstream answer (tests read headers such as Prism's sl-violations). */
  observer?: ResponseObserver;
  resilience?: Resilience;
  metrics?: Metrics;
}

export class HttpClient {
  readonly provider: RunProvider;
  readonly origin: string;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly options: HttpOptions;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly observer?: ResponseObserver;
  private readonly resilience: Resilience;
  private readonly metrics?: Metrics;

  constructor({ provider, baseUrl, http: options, logger, redactor, observer, resilience, metrics }: HttpClientOptions) {
    this.provider = provider;
    this.options = options;
    this.logger = logger;
    this.redactor = redactor;
    this.observer = observer;
    this.resilience = resilience ?? { retry: DEFAULT_RETRY, breaker: DEFAULT_BREAKER };
    this.metrics = metrics;
    const url = new URL(baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, {
      connections: options.concurrency,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(options.timeoutMs, 5_000),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    this.breaker = createBreaker(this.resilience.breaker);
  }

  /** The provider's circuit: OPEN while it is failing and requests are refused at once. */
  get circuit(): CircuitStateName {
    return circuitStateName(this.breaker);
  }

  /**
   * Sends one request, retrying where that is safe within the operation's deadline. Resolves
   * with any HTTP answer (the adapter interprets status codes); rejects only with
   * ProviderUnavailableError: an open circuit, refused or reset connections, deadlines,
   * oversized or broken bodies. The breaker judges the request as a whole, retries included:
   * one provider hiccup that a retry absorbed, or one 503 answered three times, is one failure.
   */
  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      return await this.breaker.execute(() => this.withRetries(req));
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new ProviderUnavailableError(this.provider, 'its recent requests failed, so the gateway is holding off; retry shortly.', true);
      }
      throw error;
    }
  }

  private async withRetries(req: UpstreamRequest): Promise<UpstreamResponse> {
    for (let attempt = 1; ; attempt++) {
      const remaining = remainingMs();
      if (remaining <= 0) throw new ProviderUnavailableError(this.provider, 'the operation ran out of time.', true);
      let response: UpstreamResponse;
      try {
        response = await this.attempt(req, Math.min(this.options.timeoutMs, remaining), attempt);
      } catch (error) {
        if (!(error instanceof ConnectionFailure)) throw error;
        const wait = error.beforeResponse ? retryDelay({ kind: 'connection-failed' }, attempt, this.resilience.retry, remainingMs()) : undefined;
        if (wait === undefined) throw new ProviderUnavailableError(this.provider, error.reason, true);
        await sleep(wait);
        continue;
      }
      const wait = retryDelay(
        // A rate-limit window (x-ratelimit-reset) says when a 429 lifts, not when a 5xx will: only
        // Retry-After speaks for a 502/503/504.
        { kind: 'response', status: response.status, retryAfterSeconds: retryAfterSeconds(response.headers, Date.now(), response.status === 429) },
        attempt,
        this.resilience.retry,
        remainingMs(),
      );
      if (wait === undefined) return response;
      await sleep(wait);
    }
  }

  private async attempt(req: UpstreamRequest, timeoutMs: number, attempt: number): Promise<UpstreamResponse> {
    const started = performance.now();
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    const log = { provider: this.provider, method: req.method, path: req.path, attempt };
    let phase: 'connect' | 'body' = 'connect';
    let response: UpstreamResponse;
    // The whole attempt's deadline. A timer cleared when the attempt ends, not AbortSignal.timeout,
    // whose timer outlives the request and fires (building an exception) for every request made.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    try {
      const res = await this.pool.request({
        method: req.method,
        path: this.prefix + req.path,
        headers,
        body,
        signal: deadline.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      phase = 'body';
      // Redacted before anything reads it: a provider echoing our credential back (in an error
      // message, a run's metadata) can never carry it into a response or a log.
      const text = this.redactor.redact(await readBounded(res.body, this.options.maxBodyBytes));
      const responseHeaders = flattenHeaders(res.headers);
      response = { status: res.statusCode, headers: responseHeaders, text, json: parseJson(responseHeaders, text), attempt };
    } catch (error) {
      const reason = describeFailure(error, timeoutMs);
      const durationMs = elapsed(started);
      this.logger.warn({ ...log, durationMs, failure: reason }, 'upstream request failed');
      this.metrics?.upstream(this.provider, req.method, 'failed', durationMs);
      // Only a connection that never got an answer is safe to send again; a timeout used the time up.
      throw new ConnectionFailure(reason, phase === 'connect' && !isTimeout(error));
    } finally {
      clearTimeout(timer);
    }
    const durationMs = elapsed(started);
    this.logger.info({ ...log, status: response.status, durationMs }, 'upstream request');
    this.metrics?.upstream(this.provider, req.method, response.status, durationMs);
    this.observer?.({ provider: this.provider, request: req, response, durationMs });
    return response;
  }

  /**
   * GETs one JSON object, as every provider's read does: a non-200 answer becomes
   * `onError(res)`, a body that is not a JSON object a ProviderUnavailableError.
   */
  async getObject(
    req: Omit<UpstreamRequest, 'method' | 'json'>,
    onError: (res: UpstreamResponse) => GatewayError,
  ): Promise<Record<string, unknown>> {
    const res = await this.request({ ...req, method: 'GET' });
    if (res.status !== 200) throw onError(res);
    if (!isObject(res.json)) throw this.malformed(res, 'a body that is not a run object');
    return res.json;
  }

  /** Maps an error answer to its typed error the way every provider agrees on; adapters handle their quirks first. */
  errorFor(res: UpstreamResponse, ref: RunRef): GatewayError {
    return mapErrorResponse(this.provider, res, ref);
  }

  /** Text from an upstream answer made fit for a client message: bounded (credentials are already redacted). */
  upstreamText(text: string): string {
    return truncate(text);
  }

  /** A 2xx answer whose body is not what the provider documents. */
  malformed(res: UpstreamResponse, what: string): ProviderUnavailableError {
    return new ProviderUnavailableError(this.provider, `it answered HTTP ${res.status} with ${what}.`, false, {
      providerHttpStatus: res.status,
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Replaces every configured secret in text that came from upstream before it goes anywhere. */
export class Redactor {
  private readonly secrets: string[];
  constructor(secrets: Iterable<string | undefined>) {
    this.secrets = [...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[REDACTED]');
    return out;
  }
}

export interface ErrorEnvelope {
  message?: string;
  code?: string;
}

/**
 * Reads a provider's error body. The five envelopes do not collide, so one reader serves all:
 * DataFramer `{error}` (or DRF `{detail}`), Retab `{detail: string | {code,message} | [{msg}]}`,
 * Runflow `{code, message, errors[{type}]}`, Playbook `{result}` or `{description}`,
 * Trigger.dev `{error, code}` and its problem+json 429 `{title, detail}`.
 */
export function readErrorEnvelope(res: UpstreamResponse): ErrorEnvelope {
  const body = res.json;
  if (!isObject(body)) {
    const text = res.text.trim();
    return text && text.length <= 300 && !text.startsWith('<') ? { message: text } : {};
  }
  const out: ErrorEnvelope = {};
  const pick = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const detail = body.detail;
  if (Array.isArray(detail)) {
    const msgs = detail
      .filter(isObject)
      .map((d) => {
        const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body' && p !== 'path').join('.') : '';
        return pick(d.msg) ? (loc ? `${loc}: ${d.msg}` : String(d.msg)) : undefined;
      })
      .filter(Boolean);
    if (msgs.length) out.message = msgs.join('; ');
  } else if (isObject(detail)) {
    out.message = pick(detail.message);
    out.code = pick(detail.code);
  }
  const error = body.error;
  if (isObject(error)) {
    out.message ??= pick(error.message);
    out.code ??= pick(error.code);
  }
  out.message ??= pick(error) ?? pick(body.message) ?? pick(detail) ?? pick(body.result) ?? pick(body.description) ?? pick(body.title);
  out.code ??= pick(body.code);
  const first = Array.isArray(body.errors) ? body.errors.find(isObject) : undefined;
  if (first) {
    const type = pick(first.type) ?? pick(first.code);
    if (type) out.code = out.code ? `${out.code}/${type}` : type;
    out.message ??= pick(first.message) ?? pick(first.msg);
  }
  return out;
}

/**
 * Seconds until a rate limit lifts, from Retry-After (seconds or HTTP date), retry-after-ms or,
 * with `rateLimitWindow`, x-ratelimit-reset (which describes the rate-limit window, so it only
 * speaks for a 429).
 */
export function retryAfterSeconds(headers: Record<string, string>, now = Date.now(), rateLimitWindow = true): number | undefined {
  const s = rawRetryAfterSeconds(headers, now, rateLimitWindow);
  // Tenths of a second, rounded up: a client shows "30", not "29.999", and never retries early.
  return s === undefined ? undefined : Math.ceil(s * 10) / 10;
}

function rawRetryAfterSeconds(headers: Record<string, string>, now: number, rateLimitWindow: boolean): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const ra = headers['retry-after']?.trim();
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra)) return Number(ra);
    const date = Date.parse(ra);
    if (!Number.isNaN(date)) return Math.max(0, (date - now) / 1000);
  }
  const reset = rateLimitWindow ? headers['x-ratelimit-reset']?.trim() : undefined;
  if (reset && /^\d+(\.\d+)?$/.test(reset)) {
    const n = Number(reset);
    // Trigger.dev sends epoch milliseconds; others that use this header send epoch seconds or a delta.
    if (n > 1e12) return Math.max(0, (n - now) / 1000);
    if (n > 1e9) return Math.max(0, n - now / 1000);
    return n;
  }
  return undefined;
}

function mapErrorResponse(provider: RunProvider, res: UpstreamResponse, ref: RunRef): GatewayError {
  const envelope = readErrorEnvelope(res);
  const message = envelope.message ? truncate(envelope.message) : undefined;
  const details: UpstreamDetails = { providerHttpStatus: res.status, providerCode: envelope.code };
  const s = res.status;
  if (s === 401) return new ProviderAuthError(provider, undefined, details);
  if (s === 402) return new ProviderPaymentRequiredError(provider, details);
  if (s === 403) return new ProviderForbiddenError(provider, details);
  if (s === 404) return new RunNotFoundError(provider, ref.providerRunId, details);
  if (s === 409) return new ProviderConflictError(provider, message, details);
  if (s === 429) return new ProviderRateLimitedError(provider, retryAfterSeconds(res.headers), details);
  if (s === 400 || s === 413 || s === 422) {
    return new InvalidRunInputError(
      `${providerLabel(provider)} rejected the request as invalid${message ? `: ${message}` : '.'}`,
      undefined,
      provider,
      details,
    );
  }
  if (s >= 500) {
    return new ProviderUnavailableError(provider, `it answered HTTP ${s}.`, s === 502 || s === 503 || s === 504, details);
  }
  return new ProviderUnavailableError(provider, `it answered with unexpected HTTP ${s}.`, false, details);
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(err?: Error): void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw new BodyTooLargeError(max);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class BodyTooLargeError extends Error {
  constructor(readonly max: number) {
    super('body too large');
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof BodyTooLargeError) return `its answer exceeded ${error.max} bytes.`;
  const e = error as { name?: string; code?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || error instanceof undiciErrors.RequestAbortedError) {
    return `no answer within ${timeoutMs} ms.`;
  }
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return `no answer within ${timeoutMs} ms.`;
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) return 'the connection timed out.';
  switch (e?.code) {
    case 'ECONNREFUSED':
      return 'the connection was refused.';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was reset.';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name could not be resolved.';
    default:
      return 'the request failed at the network level.';
  }
}

function isTimeout(error: unknown): boolean {
  const e = error as { name?: string };
  return (
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError' ||
    error instanceof undiciErrors.RequestAbortedError ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError
  );
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * JSON when the answer says it is JSON (application/json, problem+json, any charset), or says
 * nothing about its type; a body declared as something else (an HTML error page) is not read as JSON.
 */
function parseJson(headers: Record<string, string>, text: string): unknown {
  const type = headers['content-type'];
  if (!text.trim() || (type !== undefined && !/json/i.test(type))) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function truncate(s: string): string {
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
