// The README's start command as a newcomer runs it: no credentials -> sandbox mode, simulated
// providers on loopback, GraphiQL at /graphql, and a cancel at each of the five providers works.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let url: string;
let output = '';

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const m = /listening on (http:\/\/\S+\/graphql)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
}, 40_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

const post = async (query: string) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: any; errors?: unknown[] };
};

describe('npm start with no credentials', () => {
  it('says it is in sandbox mode', () => {
    expect(output).toMatch(/sandbox mode/);
  });

  it('serves GraphiQL from the package (no CDN) with a ready-made cancelRun operation', async () => {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('GraphiQL');
    expect(html).toContain('cancelRun');
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr/);
  });

  it('reports every provider configured', async () => {
    const res = await post('{ providers { provider configured supportsCancel supportsRead } }');
    expect(res.data.providers).toHaveLength(5);
    expect(res.data.providers.every((p: { configured: boolean }) => p.configured)).toBe(true);
  });

  it.each([
    ['DATAFRAMER', 'df-processing', ''],
    ['RETAB', 'exprun_running', ''],
    ['RUNFLOW', '01J0-running', ', reason: "sandbox tour"'],
    ['PLAYBOOK', '00000000-0000-4000-8000-000000000003', ', teamId: "7ea30000-0000-4000-8000-000000000001"'],
    ['TRIGGER_DEV', 'run_executing', ''],
  ])('cancels a seeded %s run', async (provider, runId, extra) => {
    const res = await post(`mutation { cancelRun(input: { provider: ${provider}, runId: "${runId}"${extra} }) {
      __typename ... on CancelRunSuccess { outcome run { provider lifecycle { __typename } } } ... on GatewayError { message } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.cancelRun).toMatchObject({ __typename: 'CancelRunSuccess', run: { provider } });
    expect(['CANCELLED', 'CANCEL_REQUESTED']).toContain(res.data.cancelRun.outcome);
  });
});
