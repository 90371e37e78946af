// A tiny HTTP server for a simulated provider: records every request exactly as it arrived
// (method, raw path, headers, body) so tests can assert what the gateway sent upstream.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The raw request target as sent, still percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface SimRequest extends RecordedRequest {
  /** Path segments, percent-decoded, without the query string. `/a/b%2Fc/` -> ['a', 'b/c', '']. */
  segments: string[];
  json: unknown;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is a string; absent for an empty body. */
  body?: unknown;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface Simulator {
  readonly name: string;
  readonly url: string;
  /** Every request received since start (or the last `clearRequests`). */
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  /** Delay before each answer, to make concurrency observable (and the sandbox feel real). */
  latencyMs: number;
  /** Requests being handled right now, and the most seen at once since start (or `clearRequests`). */
  readonly stats: { inFlight: number; maxInFlight: number };
  close(): Promise<void>;
}

export async function startSimulator(name: string, handler: SimHandler, port = 0, host = '127.0.0.1'): Promise<Simulator> {
  const requests: RecordedRequest[] = [];
  const stats = { inFlight: 0, maxInFlight: 0 };
  const control = { latencyMs: 0 };
  const server: Server = createServer(async (req, res) => {
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.on('close', () => stats.inFlight--);
    try {
      const recorded = await record(req);
      requests.push(recorded);
      const rawPath = recorded.path.split('?')[0] ?? '';
      let segments: string[];
      try {
        segments = rawPath.split('/').slice(1).map(decodeURIComponent);
      } catch {
        segments = [];
      }
      let json: unknown;
      try {
        json = recorded.body ? JSON.parse(recorded.body) : undefined;
      } catch {
        json = undefined;
      }
      if (control.latencyMs > 0) await new Promise((r) => setTimeout(r, control.latencyMs));
      const out = await handler({ ...recorded, segments, json });
      const headers: Record<string, string> = { ...out.headers };
      let payload: string | undefined;
      if (out.body !== undefined) {
        payload = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      res.writeHead(out.status, headers);
      res.end(payload);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'simulator failure', detail: String(error) }));
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    name,
    url: `http://${host}:${bound}`,
    requests,
    stats,
    get latencyMs() {
      return control.latencyMs;
    },
    set latencyMs(ms: number) {
      control.latencyMs = ms;
    },
    clearRequests: () => {
      requests.length = 0;
      stats.maxInFlight = stats.inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
}

/** The bearer token of a request, if it sent one. */
export function bearer(req: SimRequest): string | undefined {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** Matches decoded segments against a pattern where `:name` captures one segment. */
export function match(segments: string[], pattern: string): Record<string, string> | undefined {
  const parts = pattern.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (s === '') return undefined;
      params[p.slice(1)] = s;
    } else if (p !== s) return undefined;
  }
  return params;
}
