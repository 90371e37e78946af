/**
 * Test harness: run a Stoplight Prism mock server for one vendored OpenAPI fixture.
 *
 *   const prism = await startPrism('test/fixtures/openapi/dataframer.yaml');
 *   await fetch(`${prism.url}/api/dataframer/runs/abc/cancel/`, { method: 'POST', headers: { authorization: 'Bearer x' } });
 *   await prism.close();
 *
 * - Spawns `node_modules/.bin/prism mock -h 127.0.0.1 -p <free port> <spec>` (static examples: no `-d`).
 * - Relative spec paths are resolved against the repo root (not the cwd).
 * - Resolves once the port accepts TCP connections (Prism only listens after the spec has loaded);
 *   rejects after `timeoutMs` (default 30 s) or if Prism exits first, quoting Prism's output.
 * - Each instance gets its own port and process group, so several can run at once in one test file.
 * - `close()` kills Prism's whole process group and waits for it to exit (idempotent).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PrismMock {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** Stop Prism (and its children) and wait for it to exit. Safe to call more than once. */
  close(): Promise<void>;
  /** The TCP port Prism listens on. */
  port: number;
  /** Prism's captured stdout+stderr so far (last ~64 KiB) — handy in failing-test messages. */
  output(): string;
}

export interface StartPrismOptions {
  /** How long to wait for Prism to accept connections. Default 30 000 ms. */
  timeoutMs?: number;
  /** Extra CLI args for `prism mock`, e.g. `['--errors']` or `['-d', '--seed', '1']`. */
  extraArgs?: string[];
}

const HOST = '127.0.0.1';
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PRISM_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'prism');
const MAX_LOG_CHARS = 64 * 1024;
const START_ATTEMPTS = 3;

/** Prism processes still alive, killed synchronously if the test process exits without close(). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // whole process group (spawned with detached: true)
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function getFreePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function resolveSpec(specFile: string): string {
  const abs = path.isAbsolute(specFile) ? specFile : path.resolve(REPO_ROOT, specFile);
  if (!existsSync(abs)) throw new Error(`startPrism: spec file not found: ${abs}`);
  return abs;
}

class StartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

async function startOnce(spec: string, timeoutMs: number, extraArgs: string[]): Promise<PrismMock> {
  const port = await getFreePort();
  const args = ['mock', '-h', HOST, '-p', String(port), ...extraArgs, spec];
  // Run the .bin script with the current node binary: no reliance on `#!/usr/bin/env node` / PATH.
  const child = spawn(process.execPath, [PRISM_BIN, ...args], {
    cwd: REPO_ROOT,
    detached: true, // own process group, so close() can kill Prism and anything it forks
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  live.add(child);
  installExitHook();

  let log = '';
  const append = (chunk: Buffer): void => {
    log += chunk.toString('utf8');
    if (log.length > MAX_LOG_CHARS) log = log.slice(-MAX_LOG_CHARS);
  };
  // Always drain the pipes: Prism logs every request, and a full pipe would stall it.
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  let exited = false;
  let exitInfo = '';
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `code ${String(code)}`;
      live.delete(child);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (exited) return;
      killGroup(child, 'SIGTERM');
      const timedOut = await Promise.race([exitPromise.then(() => false), sleep(5000).then(() => true)]);
      if (timedOut && !exited) {
        killGroup(child, 'SIGKILL');
        await exitPromise;
      }
    })();
    return closing;
  };

  const describe = (): string =>
    `command: ${process.execPath} ${PRISM_BIN} ${args.join(' ')}\n--- Prism output ---\n${log.trim() || '(none)'}`;

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      await close();
      throw new StartError(`startPrism: failed to spawn Prism: ${spawnError.message}\n${describe()}`, false);
    }
    if (exited) {
      throw new StartError(
        `startPrism: Prism exited (${exitInfo}) before listening on ${HOST}:${port}\n${describe()}`,
        /EADDRINUSE/.test(log),
      );
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await close();
      throw new StartError(
        `startPrism: Prism did not accept connections on ${HOST}:${port} within ${timeoutMs} ms\n${describe()}`,
        false,
      );
    }
    await sleep(100);
  }

  return {
    url: `http://${HOST}:${port}`,
    port,
    close,
    output: () => log,
  };
}

export async function startPrism(specFile: string, options: StartPrismOptions = {}): Promise<PrismMock> {
  const spec = resolveSpec(specFile);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const extraArgs = options.extraArgs ?? [];
  if (!existsSync(PRISM_BIN)) throw new Error(`startPrism: Prism CLI not found at ${PRISM_BIN}`);

  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(spec, timeoutMs, extraArgs);
    } catch (err) {
      lastError = err;
      // Only retry the (rare) race where another process grabbed the port between probe and bind.
      if (!(err instanceof StartError && err.portInUse)) throw err;
    }
  }
  throw lastError;
}
