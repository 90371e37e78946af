// Sandbox mode only: what the simulated providers received, so a newcomer can see for themselves
// that fifty reads with duplicates cost one upstream request per distinct id. GET lists each
// simulator's requests (method and path, never headers: they hold the sandbox credentials) and
// the most it saw in flight at once; DELETE clears them. It sits behind caller auth like the rest.
import type { Plugin } from 'graphql-yoga';
import type { Simulator } from '../sandbox/sim-server.js';

export const SANDBOX_REQUESTS_PATH = '/sandbox/requests';

export function useSandboxRequestLog(simulators: readonly Simulator[]): Plugin {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== SANDBOX_REQUESTS_PATH) return;
      const json = (body: unknown, status = 200) =>
        new fetchAPI.Response(JSON.stringify(body, null, 2), {
          status,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        });
      if (request.method === 'DELETE') {
        for (const sim of simulators) sim.clearRequests();
        endResponse(new fetchAPI.Response(null, { status: 204 }));
      } else if (request.method === 'GET') {
        endResponse(json(Object.fromEntries(simulators.map((sim) => [sim.name, summary(sim)]))));
      } else {
        endResponse(json({ error: 'GET lists the requests, DELETE clears them.' }, 405));
      }
    },
  };
}

function summary(sim: Simulator) {
  return {
    count: sim.requests.length,
    maxInFlight: sim.stats.maxInFlight,
    requests: sim.requests.map((r) => `${r.method} ${r.path}`),
  };
}
