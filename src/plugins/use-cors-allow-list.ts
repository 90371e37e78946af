// CORS from an allow-list of exact origins (RUNGATE_CORS_ORIGINS). An allowed origin gets
// Access-Control-Allow-Origin set to itself; any other origin gets no CORS headers at all, so the
// browser keeps the answer from the page. With an empty list nothing is ever added: same-origin only.
// No cookies are involved (callers send bearer tokens), so credentials are never allowed.
import type { Plugin } from 'graphql-yoga';

export interface CorsAllowListOptions {
  origins: readonly string[];
  /** How long a browser may cache a preflight answer. */
  maxAgeSeconds?: number;
}

const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', 'x-graphql-yoga-csrf'];
const ALLOWED_METHODS = ['GET', 'POST', 'OPTIONS'];

export function useCorsAllowList({ origins, maxAgeSeconds = 600 }: CorsAllowListOptions): Plugin {
  const allowed = new Set(origins);
  const isAllowed = (request: Request) => {
    const origin = request.headers.get('origin');
    return origin !== null && allowed.has(origin) ? origin : undefined;
  };
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== 'OPTIONS') return;
      // A preflight: answered here, headers added below only when the origin is on the list.
      endResponse(new fetchAPI.Response(null, { status: 204, headers: { 'content-length': '0' } }));
    },
    onResponse({ request, response }) {
      if (allowed.size === 0) return;
      // Answers differ by Origin: shared caches must not hand one origin's answer to another.
      response.headers.append('vary', 'Origin');
      const origin = isAllowed(request);
      if (!origin) return;
      response.headers.set('access-control-allow-origin', origin);
      if (request.method === 'OPTIONS') {
        response.headers.set('access-control-allow-methods', ALLOWED_METHODS.join(', '));
        response.headers.set('access-control-allow-headers', ALLOWED_HEADERS.join(', '));
        response.headers.set('access-control-max-age', String(maxAgeSeconds));
      }
    },
  };
}
