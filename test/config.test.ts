import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('defaults: 127.0.0.1:4000, documented base URLs, sandbox when no credentials are set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 4000, sandbox: true });
    expect(c.providers.DATAFRAMER.baseUrl).toBe('https://df-api.dataframer.ai');
    expect(c.providers.RETAB.baseUrl).toBe('https://api.retab.com');
    expect(c.providers.RUNFLOW.baseUrl).toBe('https://api.runflow.io');
    expect(c.providers.TRIGGER_DEV.baseUrl).toBe('https://api.trigger.dev');
    expect(c.providers.PLAYBOOK.baseUrl).toBeUndefined();
  });

  it('leaves sandbox mode once any credential is set, unless RUNGATE_SANDBOX=1 forces it', () => {
    expect(loadConfig({ RETAB_API_KEY: 'rt_live_x' }).sandbox).toBe(false);
    expect(loadConfig({ RETAB_API_KEY: 'rt_live_x', RUNGATE_SANDBOX: '1' }).sandbox).toBe(true);
    expect(loadConfig({ RUNGATE_SANDBOX: '0' }).sandbox).toBe(false);
  });

  it('deadlines, retries and circuit breaking come from the environment, per provider where it makes sense', () => {
    const c = loadConfig({
      RUNGATE_UPSTREAM_TIMEOUT_MS: '3000',
      RUNGATE_TRIGGER_DEV_TIMEOUT_MS: '1500',
      RUNGATE_OPERATION_TIMEOUT_MS: '6000',
      RUNGATE_UPSTREAM_MAX_ATTEMPTS: '2',
      RUNGATE_BREAKER_THRESHOLD: '10',
      RUNGATE_BREAKER_COOLDOWN_MS: '30000',
    });
    expect(c.http.RETAB.timeoutMs).toBe(3000);
    expect(c.http.TRIGGER_DEV.timeoutMs).toBe(1500);
    expect(c.resilience).toMatchObject({ operationTimeoutMs: 6000, retry: { maxAttempts: 2 }, breaker: { threshold: 10, halfOpenAfterMs: 30000 } });
    // Defaults keep a cancelRun answer under 10 s whatever the provider does.
    expect(loadConfig({}).resilience).toMatchObject({ operationTimeoutMs: 9000, retry: { maxAttempts: 3 }, breaker: { threshold: 10, halfOpenAfterMs: 10000 } });
  });

  it('an absent provider is not an error: it is simply unconfigured', () => {
    const c = loadConfig({ TRIGGER_SECRET_KEY: 'tr_dev_x' });
    expect(c.providers.TRIGGER_DEV.credentials).toEqual({ secretKey: 'tr_dev_x' });
    expect(c.providers.DATAFRAMER.credentials).toBeUndefined();
  });

  it.each([
    [{ DATAFRAMER_BASE_URL: 'not a url' }, 'DATAFRAMER_BASE_URL'],
    [{ RETAB_BASE_URL: 'ftp://api.retab.com' }, 'RETAB_BASE_URL'],
    [{ RUNFLOW_BASE_URL: 'https://user:pw@api.runflow.io' }, 'RUNFLOW_BASE_URL'],
    [{ RETAB_BASE_URL: 'https://api.retab.com/v1' }, 'RETAB_BASE_URL'],
    [{ RUNFLOW_BASE_URL: 'https://api.runflow.io/v1/' }, 'RUNFLOW_BASE_URL'],
    [{ TRIGGER_BASE_URL: 'https://api.trigger.dev/api' }, 'TRIGGER_BASE_URL'],
    [{ PORT: '99999' }, 'PORT'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ RUNGATE_SANDBOX: 'maybe' }, 'RUNGATE_SANDBOX'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PLAYBOOK_API_KEY: 'k', PLAYBOOK_BASE_URL: 'https://pb.example.com' }, 'PLAYBOOK_JWT'],
    [{ PLAYBOOK_JWT: 'j', PLAYBOOK_BASE_URL: 'https://pb.example.com' }, 'PLAYBOOK_API_KEY'],
    [{ PLAYBOOK_API_KEY: 'k', PLAYBOOK_JWT: 'j' }, 'PLAYBOOK_BASE_URL'],
    [{ RUNGATE_UPSTREAM_TIMEOUT_MS: '5' }, 'RUNGATE_UPSTREAM_TIMEOUT_MS'],
    [{ RUNGATE_OPERATION_TIMEOUT_MS: '50' }, 'RUNGATE_OPERATION_TIMEOUT_MS'],
    [{ RUNGATE_UPSTREAM_MAX_ATTEMPTS: '0' }, 'RUNGATE_UPSTREAM_MAX_ATTEMPTS'],
    [{ RUNGATE_BREAKER_THRESHOLD: 'five' }, 'RUNGATE_BREAKER_THRESHOLD'],
    [{ RUNGATE_BREAKER_COOLDOWN_MS: '-1' }, 'RUNGATE_BREAKER_COOLDOWN_MS'],
    [{ RUNGATE_RETAB_TIMEOUT_MS: '0' }, 'RUNGATE_RETAB_TIMEOUT_MS'],
  ])('rejects %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
    }
  });

  it('the process exits non-zero at start with one line naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, RETAB_API_KEY: 'rt_live_secret_value', RETAB_BASE_URL: 'api.retab.com' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rungate: configuration error: RETAB_BASE_URL: "api.retab.com" is not an absolute URL/);
    expect(run.stderr + run.stdout).not.toContain('rt_live_secret_value');
  });
});
