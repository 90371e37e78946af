// A loopback HTTP proxy in front of Prism mocks: routes each request to the mock whose spec
// holds the path, and can add Prism's `Prefer: code=N` to pick a documented response.
// It forwards bytes unchanged otherwise, so Prism validates exactly what the gateway sent.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PreferProxy {
  url: string;
  /** Status code Prism should answer for the next requests matching `when` (all when undefined). */
  prefer(code: number | undefined, when?: (method: string, path: string) => boolean): void;
  close(): Promise<void>;
}

export async function startPreferProxy(route: (method: string, path: string) => string): Promise<PreferProxy> {
  let preferred: { code: number; when?: (method: string, path: string) => boolean } | undefined;
  const server: Server = createServer((req, res) => {
    const target = new URL(route(req.method ?? 'GET', req.url ?? '/'));
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
    if (preferred && (!preferred.when || preferred.when(req.method ?? 'GET', req.url ?? '/'))) {
      headers.prefer = `code=${preferred.code}`;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    prefer: (code, when) => {
      preferred = code === undefined ? undefined : { code, when };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
