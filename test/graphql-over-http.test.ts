// The GraphQL-over-HTTP spec's own audit suite (graphql-http) against the running server, with
// CSRF prevention on: the audit's GETs carry the CSRF header through fetchFn, as any non-browser
// client or GraphiQL does. Run twice: without caller tokens, and with one (sent as a bearer token).
// The audits read `__type`, so introspection is switched on here (it is off by default outside
// sandbox mode; test/abuse-limits.test.ts checks that switch).
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './support/gateway.js';

const TOKEN = 'audit-token-6f1c2b9e';

function withHeaders(extra: Record<string, string>): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(extra)) headers.set(k, v);
    return fetch(input, { ...init, headers });
  };
}

describe.each([
  ['without caller tokens', { RUNGATE_INTROSPECTION: '1' }, { 'x-graphql-yoga-csrf': '1' }],
  ['with a caller token', { RUNGATE_INTROSPECTION: '1', RUNGATE_API_TOKENS: `auditor=${TOKEN}:runs:read+runs:cancel` }, { 'x-graphql-yoga-csrf': '1', authorization: `Bearer ${TOKEN}` }],
])('GraphQL over HTTP audits, %s', (_name, env, headers) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(env);
  });
  afterAll(() => gw?.close());

  for (const audit of serverAudits({ url: () => gw.url, fetchFn: withHeaders(headers) })) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status, 'reason' in result ? result.reason : '').toBe('ok');
    });
  }
});
