// Builds one adapter per configured provider, each with its own HTTP pool.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { RunProvider } from '../runs/domain.js';
import { DataFramerAdapter } from './dataframer.js';
import { HttpClient, Redactor, type ResponseObserver } from './http.js';
import { PlaybookAdapter } from './playbook.js';
import type { ProviderAdapter } from './provider.js';
import { RetabAdapter } from './retab.js';
import { RunflowAdapter } from './runflow.js';
import { TriggerDevAdapter } from './trigger-dev.js';

export interface Adapters {
  configured: Map<RunProvider, ProviderAdapter>;
  /** Each configured provider's HTTP client, for its circuit state. */
  clients: Map<RunProvider, HttpClient>;
  redactor: Redactor;
  close(): Promise<void>;
}

export function createAdapters(config: Config, logger: Logger, observer?: ResponseObserver, metrics?: Metrics): Adapters {
  const p = config.providers;
  const redactor = new Redactor(
    Object.values(p).flatMap((c) => (c.credentials ? Object.values(c.credentials as Record<string, string>) : [])),
  );
  const clients = new Map<RunProvider, HttpClient>();
  const http = (provider: RunProvider, baseUrl: string | undefined) => {
    const client = new HttpClient({ provider, baseUrl: baseUrl!, http: config.http[provider], logger, redactor, observer, resilience: config.resilience, metrics });
    clients.set(provider, client);
    return client;
  };
  const configured = new Map<RunProvider, ProviderAdapter>();
  const add = (adapter: ProviderAdapter) => configured.set(adapter.provider, adapter);

  if (p.DATAFRAMER.credentials) add(new DataFramerAdapter(http('DATAFRAMER', p.DATAFRAMER.baseUrl), p.DATAFRAMER.credentials.apiKey));
  if (p.RETAB.credentials) add(new RetabAdapter(http('RETAB', p.RETAB.baseUrl), p.RETAB.credentials.apiKey));
  if (p.RUNFLOW.credentials) add(new RunflowAdapter(http('RUNFLOW', p.RUNFLOW.baseUrl), p.RUNFLOW.credentials.adminKey));
  if (p.PLAYBOOK.credentials) {
    add(new PlaybookAdapter(http('PLAYBOOK', p.PLAYBOOK.baseUrl), p.PLAYBOOK.credentials.apiKey, p.PLAYBOOK.credentials.jwt));
  }
  if (p.TRIGGER_DEV.credentials) add(new TriggerDevAdapter(http('TRIGGER_DEV', p.TRIGGER_DEV.baseUrl), p.TRIGGER_DEV.credentials.secretKey));

  return {
    configured,
    clients,
    redactor,
    close: async () => {
      await Promise.all([...configured.values()].map((a) => a.close()));
    },
  };
}
