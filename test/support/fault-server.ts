// A loopback HTTP server that stands where a provider's API would, and misbehaves on demand.
//
// Every request is matched against a programmed plan (rules, each for a number of requests and
// optionally only for requests `when` accepts); a request no rule takes gets the proper answer,
// forwarded byte for byte to the real simulator behind it, so the gateway's adapter sees the
// vendor's documented dialect. The faults:
//
//   proxy            the proper answer (the simulator's)
//   delay            the proper answer after `ms`
//   reset            read the request, then RST the socket before any header
//   reset-mid-body   the proper status and headers, half the body, then RST
//   hang             accept and read the request, never send a header
//   trickle          the proper answer's headers, then its body one byte every `intervalMs`
//   truncate         the proper answer's headers and JSON cut in half (content-length says the cut)
//   respond          a canned answer: any status, headers and body (5xx, 429s, HTML, bad JSON, ...)
//   lost-answer      forwards the request (so the provider acts on it), then answers `status` instead,
//                    as a proxy does whose upstream answered too late
//
// and, for the whole server, `refuse()`: nothing listens on the port (pooled keep-alive sockets
// are dropped too) until `accept()` listens on the same port again.
//
// It counts sockets (open now, most at once, total), so a suite can tell whether the gateway
// keeps connections beyond its pool or leaves a timed-out one open.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Pool } from 'undici';
import { DEFAULT_HTTP_OPTIONS } from '../../src/providers/http.js';

export type Fault =
  | { kind: 'proxy' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'reset-mid-body' }
  | { kind: 'hang' }
  | { kind: 'trickle'; intervalMs: number }
  | { kind: 'truncate' }
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string | Buffer }
  | { kind: 'lost-answer'; status: number };

export interface FaultRequest {
  method: string;
  /** The raw request target, still percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FaultRule {
  fault: Fault | ((req: FaultRequest) => Fault);
  /** How many matching requests this rule takes; default 1, Infinity for all. */
  times?: number;
  /** Only requests this accepts (default: every request). */
  when?: (req: FaultRequest) => boolean;
}

export interface RecordedFaultRequest {
  method: string;
  path: string;
  fault: Fault['kind'];
  at: number;
}

export interface FaultServer {
  readonly url: string;
  readonly port: number;
  /** Requests received since start or the last `reset()`, with the fault each got. */
  readonly requests: RecordedFaultRequest[];
  /** Replaces the plan with these rules; requests no rule takes are proxied. */
  program(...rules: FaultRule[]): void;
  /** Decides for requests no rule takes (the soak's random faults); undefined: proxy. */
  chooser: ((req: FaultRequest) => Fault | undefined) | undefined;
  /** Clears the plan, the chooser and the recorded requests. */
  reset(): void;
  /** Stops listening and drops every open socket: connections are refused until `accept()`. */
  refuse(): Promise<void>;
  accept(): Promise<void>;
  /**
   * Sockets from the gateway: open right now, the most open at once, and accepted in all; `maxLive`
   * is the most open at once that the client had not yet ended or reset (a socket the gateway
   * dropped stays "open" here until its FIN is processed, a moment after the gateway may already
   * have connected again).
   */
  readonly connections: { open: number; maxOpen: number; maxLive: number; total: number };
  close(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', 'te', 'trailer']);

/** Starts a fault server on 127.0.0.1 in front of `upstreamUrl` (a started simulator). */
export async function startFaultServer(upstreamUrl: string, port = 0): Promise<FaultServer> {
  const upstream = new Pool(upstreamUrl, { connections: 8, keepAliveTimeout: 10_000 });
  const requests: RecordedFaultRequest[] = [];
  let rules: { rule: FaultRule; left: number }[] = [];
  const sockets = new Set<Socket>();
  const connections = { open: 0, maxOpen: 0, maxLive: 0, total: 0 };
  const live = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const pick = (req: FaultRequest): Fault => {
    for (const entry of rules) {
      if (entry.left <= 0 || (entry.rule.when && !entry.rule.when(req))) continue;
      entry.left -= 1;
      return typeof entry.rule.fault === 'function' ? entry.rule.fault(req) : entry.rule.fault;
    }
    return state.chooser?.(req) ?? { kind: 'proxy' };
  };

  const forward = async (req: FaultRequest): Promise<Upstream> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    const res = await upstream.request({
      method: req.method as 'GET' | 'POST',
      path: req.path,
      headers,
      body: req.body.length ? req.body : undefined,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return { status: res.statusCode, headers: out, body };
  };

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };

  const send = (res: ServerResponse, answer: Upstream) => {
    const headers = { ...answer.headers };
    if (answer.body.length || (answer.status !== 204 && answer.status !== 304)) headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  /** A proper answer with a body to damage: a bodiless success (DataFramer's 204) becomes 200 with `{}`. */
  const withBody = (answer: Upstream): Upstream =>
    answer.body.length
      ? answer
      : { status: answer.status === 204 ? 200 : answer.status, headers: { ...answer.headers, 'content-type': 'application/json' }, body: Buffer.from('{}') };

  const apply = async (fault: Fault, req: FaultRequest, res: ServerResponse, socket: Socket) => {
    switch (fault.kind) {
      case 'proxy':
        return send(res, await forward(req));
      case 'delay':
        await new Promise<void>((resolve) => later(fault.ms, resolve));
        if (socket.destroyed) return;
        return send(res, await forward(req));
      case 'reset':
        live.delete(socket);
        socket.resetAndDestroy();
        return;
      case 'hang':
        // Nothing is ever written; the socket closes when the gateway gives up (or at close()).
        return;
      case 'respond':
        return send(res, {
          status: fault.status,
          headers: fault.headers ?? {},
          body: typeof fault.body === 'string' ? Buffer.from(fault.body) : (fault.body ?? Buffer.alloc(0)),
        });
      case 'lost-answer':
        await forward(req);
        return send(res, { status: fault.status, headers: { 'content-type': 'text/plain' }, body: Buffer.from('Bad Gateway') });
      case 'truncate': {
        const proper = withBody(await forward(req));
        const cut = proper.body.subarray(0, Math.max(1, Math.floor(proper.body.length / 2)));
        return send(res, { ...proper, body: cut });
      }
      case 'reset-mid-body': {
        const proper = withBody(await forward(req));
        res.writeHead(proper.status, { ...proper.headers, 'content-length': String(proper.body.length) });
        res.write(proper.body.subarray(0, Math.max(1, Math.floor(proper.body.length / 2))), () => {
          // Let the bytes reach the client before the RST discards what is still queued.
          later(20, () => {
            live.delete(socket);
            socket.resetAndDestroy();
          });
        });
        return;
      }
      case 'trickle': {
        const proper = withBody(await forward(req));
        // Leading whitespace is valid JSON: at least 64 bytes, so the body outlasts any short timeout.
        const body = Buffer.concat([Buffer.from(' '.repeat(Math.max(0, 64 - proper.body.length))), proper.body]);
        res.writeHead(proper.status, { ...proper.headers, 'content-length': String(body.length) });
        let i = 0;
        const tick = () => {
          if (socket.destroyed || res.destroyed) return;
          res.write(body.subarray(i, i + 1));
          i += 1;
          if (i < body.length) later(fault.intervalMs, tick);
          else res.end();
        };
        later(fault.intervalMs, tick);
        return;
      }
    }
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const request: FaultRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks) };
    const fault = pick(request);
    requests.push({ method: request.method, path: request.path, fault: fault.kind, at: Date.now() });
    try {
      await apply(fault, request, res, req.socket);
    } catch (error) {
      if (!res.headersSent && !req.socket.destroyed) {
        res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`fault server: ${String(error)}`);
      }
    }
  };

  const server: Server = createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    live.add(socket);
    connections.total += 1;
    connections.open = sockets.size;
    connections.maxOpen = Math.max(connections.maxOpen, sockets.size);
    connections.maxLive = Math.max(connections.maxLive, live.size);
    const gone = () => live.delete(socket);
    socket.on('end', gone);
    socket.on('error', gone);
    socket.on('close', () => {
      gone();
      sockets.delete(socket);
      connections.open = sockets.size;
    });
  });
  // A reset socket may still have a write in flight: that is the point, not a failure.
  server.on('clientError', (_err, socket) => socket.destroy());

  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  const bound = await listen(port);
  let listening = true;
  const state = {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    connections,
    chooser: undefined as FaultServer['chooser'],
    program: (...next: FaultRule[]) => {
      rules = next.map((rule) => ({ rule, left: rule.times ?? 1 }));
    },
    reset: () => {
      rules = [];
      state.chooser = undefined;
      requests.length = 0;
    },
    refuse: async () => {
      if (!listening) return;
      listening = false;
      await stop();
    },
    accept: async () => {
      if (listening) return;
      await listen(bound);
      listening = true;
    },
    close: async () => {
      if (listening) await stop();
      listening = false;
      await upstream.close();
    },
  };
  return state;
}

/** A 200 whose body is not JSON at all although it says so: a syntax error in the middle of an object. */
export const MALFORMED_JSON = '{"id": "run", "status": CANCELED, }';

/** What a load balancer or captive portal answers: 200, text/html. */
export const HTML_PAGE = '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Please try again later</h1></body></html>';

/** A well-formed JSON object just over `limit` bytes (the gateway's body cap by default). */
export function oversizedJson(limit = DEFAULT_HTTP_OPTIONS.maxBodyBytes, extra = 64 * 1024): string {
  return JSON.stringify({ id: 'run', status: 'CANCELED', padding: 'x'.repeat(limit + extra) });
}

/** Counts the process's open file descriptors (Linux), or -1 where /proc is not there. */
export async function openFdCount(): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  try {
    return (await readdir('/proc/self/fd')).length;
  } catch {
    return -1;
  }
}
