import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printClientSchema, printSubgraphSdl } from '../src/schema/index.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const FIX = 'run `npm run schema:print` and commit the result';

describe('checked-in schema artifacts', () => {
  it(`schema.graphql is what the code builds (${FIX})`, () => {
    expect(read('schema.graphql')).toBe(printClientSchema() + '\n');
  });

  it(`subgraph.graphql is what the code builds (${FIX})`, () => {
    expect(read('subgraph.graphql')).toBe(printSubgraphSdl() + '\n');
  });

  it('keeps the contract names: Run is a federation entity keyed by id, payloads are unions', () => {
    const sdl = printSubgraphSdl();
    expect(sdl).toMatch(/type Run\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(
      /union CancelRunPayload = .*CancelRunSuccess/,
    );
    for (const member of [
      'RunNotFoundError', 'RunNotCancellableError', 'InvalidRunInputError', 'ProviderNotConfiguredError', 'ProviderAuthError',
      'ProviderForbiddenError', 'ProviderPaymentRequiredError', 'ProviderConflictError', 'ProviderRateLimitedError', 'ProviderUnavailableError',
    ]) {
      expect(sdl).toMatch(new RegExp(`union CancelRunPayload = [^\\n]*\\b${member}\\b`));
      expect(sdl).toMatch(new RegExp(`type ${member} implements GatewayError`));
    }
    expect(sdl).toMatch(/union RunLifecycle = RunPending \| RunQueued \| RunRunning \| RunSucceeded \| RunFailed \| RunCancelled \| RunStatusUnknown/);
    expect(printClientSchema()).toContain('cancelRun(input: CancelRunInput!): CancelRunPayload!');
  });
});
