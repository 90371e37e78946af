// The domain service: input rules common to every provider, provider selection, and the
// per-request DataLoaders every read goes through, including the reads a cancel needs.
import DataLoader from 'dataloader';
import type { Config } from '../config.js';
import type { ProviderAdapter } from '../providers/provider.js';
import { withDeadline, type CircuitStateName } from '../providers/resilience.js';
import type { CancelOptions, CancelResult, RunProvider, RunRef, RunSnapshot } from './domain.js';
import { InvalidRunInputError, ProviderNotConfiguredError } from './errors.js';
import { globalRunId, providerIdPrefix } from './run-ref.js';

export const MAX_ID_LENGTH = 256;
/** Half of a UTF-16 surrogate pair without its other half: not well-formed Unicode. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const MAX_REASON_LENGTH = 2_000;

/** Default time one operation (a cancel with the reads it needs, or one read) may take upstream. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 9_000;

export interface RunServiceOptions {
  adapters: Map<RunProvider, ProviderAdapter>;
  providers: Config['providers'];
  /** Each configured provider's circuit, as its HTTP client reports it. */
  circuits?: Map<RunProvider, { readonly circuit: CircuitStateName }>;
  /** Keeps a cancelRun answer under ten seconds whatever the providers do. */
  operationTimeoutMs?: number;
}

export class RunService {
  private readonly adapters: Map<RunProvider, ProviderAdapter>;
  private readonly providers: Config['providers'];
  private readonly circuits: Map<RunProvider, { readonly circuit: CircuitStateName }>;
  readonly operationTimeoutMs: number;

  constructor(options: RunServiceOptions) {
    this.adapters = options.adapters;
    this.providers = options.providers;
    this.circuits = options.circuits ?? new Map();
    this.operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  }

  /** The provider's circuit breaker state; undefined when it is not configured. */
  circuit(provider: RunProvider): CircuitStateName | undefined {
    return this.circuits.get(provider)?.circuit;
  }

  /** A fresh view for one GraphQL request: its loaders cache nothing across requests. */
  forRequest(): RequestRuns {
    return new RequestRuns(this);
  }

  adapter(provider: RunProvider): ProviderAdapter {
    const adapter = this.adapters.get(provider);
    if (!adapter) throw new ProviderNotConfiguredError(provider, this.providers[provider].credentialVariables);
    return adapter;
  }

  isConfigured(provider: RunProvider): boolean {
    return this.adapters.has(provider);
  }
}

export class RequestRuns {
  private readonly loaders = new Map<RunProvider, DataLoader<RunRef, RunSnapshot, string>>();

  constructor(readonly service: RunService) {}

  async cancel(ref: RunRef, options: CancelOptions): Promise<CancelResult> {
    checkRef(ref);
    if (options.reason !== undefined && options.reason.length > MAX_REASON_LENGTH) {
      throw new InvalidRunInputError(`reason is longer than ${MAX_REASON_LENGTH} characters.`, 'reason', ref.provider);
    }
    const adapter = this.service.adapter(ref.provider);
    adapter.validate(ref, options);
    const result = await withDeadline(this.service.operationTimeoutMs, () => adapter.cancel(ref, options, (r) => this.read(r)));
    // Later reads of this run in the same request see what the cancel learned, not an older copy.
    const loader = this.loader(ref.provider);
    loader.clear(ref);
    if (result.run.complete) loader.prime(ref, result.run);
    return result;
  }

  read(ref: RunRef): Promise<RunSnapshot> {
    checkRef(ref);
    this.service.adapter(ref.provider).validate(ref, {});
    return this.loader(ref.provider).load(ref);
  }

  private loader(provider: RunProvider): DataLoader<RunRef, RunSnapshot, string> {
    let loader = this.loaders.get(provider);
    if (!loader) {
      const adapter = this.service.adapter(provider);
      loader = new DataLoader<RunRef, RunSnapshot, string>(
        // Providers have no batch read: one upstream read per distinct id, each settling on its own.
        // Each read gets the operation deadline, or the enclosing cancel's if that comes sooner.
        (refs) =>
          Promise.all(
            refs.map((r) => withDeadline(this.service.operationTimeoutMs, () => adapter.read(r)).catch((e: unknown) => e as Error)),
          ),
        { cacheKeyFn: globalRunId },
      );
      this.loaders.set(provider, loader);
    }
    return loader;
  }
}

function checkRef(ref: RunRef): void {
  checkId(ref.providerRunId, 'runId', ref.provider);
  // A global id where the provider's own id belongs: a common slip, and no provider names runs so.
  const prefix = `${providerIdPrefix(ref.provider)}:`;
  if (ref.providerRunId.startsWith(prefix)) {
    throw new InvalidRunInputError(
      `runId takes the provider's own id, not the global id: send "${ref.providerRunId.slice(prefix.length, prefix.length + 80)}" rather than "${ref.providerRunId.slice(0, 80)}".`,
      'runId',
      ref.provider,
    );
  }
  if (ref.teamId !== undefined && ref.teamId !== '') checkId(ref.teamId, 'teamId', ref.provider);
}

function checkId(id: string, field: string, provider: RunProvider): void {
  if (id.trim() === '') throw new InvalidRunInputError(`${field} must not be empty.`, field, provider);
  if (id.length > MAX_ID_LENGTH) {
    throw new InvalidRunInputError(`${field} is longer than ${MAX_ID_LENGTH} characters.`, field, provider);
  }
  // `.` and `..` would be dot segments in any URL, whatever their encoding: no run is named that.
  if (id === '.' || id === '..') throw new InvalidRunInputError(`${field} must not be "${id}".`, field, provider);
  // A lone UTF-16 surrogate cannot be percent-encoded into a URL.
  if (LONE_SURROGATE.test(id)) {
    throw new InvalidRunInputError(`${field} is not well-formed Unicode.`, field, provider);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id) || id !== id.trim()) {
    throw new InvalidRunInputError(`${field} must not contain control characters or surrounding spaces.`, field, provider);
  }
}
