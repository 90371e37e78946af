// Serves the gateway's metrics at /metrics (Prometheus text format) and times every request.
// It sits behind caller auth: with RUNGATE_API_TOKENS set, a scraper sends a token like anyone.
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';

export const METRICS_PATH = '/metrics';

export function useMetrics(metrics: Metrics): Plugin {
  const started = new WeakMap<Request, number>();
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname === METRICS_PATH && request.method === 'GET') {
        const body = await metrics.registry.metrics();
        endResponse(new fetchAPI.Response(body, { headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' } }));
        return;
      }
      started.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const t = started.get(request);
      if (t !== undefined) metrics.httpRequest(response.status, performance.now() - t);
    },
  };
}
