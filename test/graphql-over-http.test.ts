// The GraphQL-over-HTTP spec's own audit suite (graphql-http) against the running server.
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({});
});
afterAll(() => gw?.close());

describe('GraphQL over HTTP audits', () => {
  for (const audit of serverAudits({ url: () => gw.url, fetchFn: fetch })) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status, 'reason' in result ? result.reason : '').toBe('ok');
    });
  }
});
