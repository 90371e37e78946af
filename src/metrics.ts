// What an operator graphs and alerts on, in Prometheus' text format: every upstream request by
// provider and answer, its latency, each provider's circuit, every cancel's result, and the
// gateway's own request latency. One registry per gateway, so several can live in one process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitStateName } from './providers/resilience.js';
import type { RunProvider } from './runs/domain.js';

const CIRCUIT_VALUE: Record<CircuitStateName, number> = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 };

export class Metrics {
  readonly registry = new Registry();

  private readonly upstreamRequests = new Counter({
    name: 'rungate_upstream_requests_total',
    help: 'Upstream HTTP attempts, by provider, method and answer (the HTTP status, or "failed": no answer).',
    labelNames: ['provider', 'method', 'status'] as const,
    registers: [this.registry],
  });

  private readonly upstreamSeconds = new Histogram({
    name: 'rungate_upstream_request_duration_seconds',
    help: 'Time one upstream attempt took, answered or not.',
    labelNames: ['provider'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly cancels = new Counter({
    name: 'rungate_cancels_total',
    help: 'cancelRun results, by provider and outcome (CANCELLED, ALREADY_CANCELLED, CANCEL_REQUESTED) or error code.',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });

  private readonly httpSeconds = new Histogram({
    name: 'rungate_http_request_duration_seconds',
    help: 'Time the gateway took to answer one HTTP request, by status.',
    labelNames: ['status'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Reads each provider's circuit when scraped; 0 closed, 1 half-open, 2 open. */
  watchCircuits(circuits: ReadonlyMap<RunProvider, { readonly circuit: CircuitStateName }>): void {
    new Gauge({
      name: 'rungate_circuit_state',
      help: "Each configured provider's circuit breaker: 0 closed, 1 half-open (probing), 2 open (failing fast).",
      labelNames: ['provider'] as const,
      registers: [this.registry],
      collect() {
        for (const [provider, client] of circuits) this.set({ provider }, CIRCUIT_VALUE[client.circuit]);
      },
    });
  }

  upstream(provider: RunProvider, method: string, status: number | 'failed', durationMs: number): void {
    this.upstreamRequests.inc({ provider, method, status: String(status) });
    this.upstreamSeconds.observe({ provider }, durationMs / 1000);
  }

  cancel(provider: RunProvider, result: string): void {
    this.cancels.inc({ provider, result });
  }

  httpRequest(status: number, durationMs: number): void {
    this.httpSeconds.observe({ status: String(status) }, durationMs / 1000);
  }
}
