import { CAPABILITIES } from '../providers/provider.js';
import { RUN_PROVIDERS, type RunProvider } from '../runs/domain.js';
import { providerLabel } from '../runs/errors.js';
import { builder } from './builder.js';
import { RunProviderEnum } from './enums.js';

const CircuitStateEnum = builder.enumType('ProviderCircuitState', {
  values: {
    CLOSED: { description: 'Requests flow normally.' },
    OPEN: { description: 'Recent requests failed; the gateway answers ProviderUnavailableError at once until a probe succeeds.' },
    HALF_OPEN: { description: 'One probe request is being let through to see whether the provider recovered.' },
  },
});

const ProviderInfo = builder.objectRef<RunProvider>('ProviderInfo').implement({
  description: 'A provider this gateway speaks to, and what a client can do with it here.',
  fields: (t) => ({
    provider: t.field({ type: RunProviderEnum, description: 'Which provider.', resolve: (p) => p }),
    name: t.string({ description: 'Its name, for people.', resolve: (p) => providerLabel(p) }),
    configured: t.boolean({ description: 'Whether the gateway holds credentials for it.', resolve: (p, _a, ctx) => ctx.runs.service.isConfigured(p) }),
    supportsCancel: t.boolean({ description: "Whether the provider's API can cancel a run.", resolve: (p) => CAPABILITIES[p].cancel }),
    supportsRead: t.boolean({ description: "Whether the provider's API can read a run.", resolve: (p) => CAPABILITIES[p].read }),
    requiresTeamId: t.boolean({ description: 'Whether cancelRun needs teamId (Playbook scopes runs by team).', resolve: (p) => CAPABILITIES[p].teamId }),
    acceptsReason: t.boolean({ description: 'Whether a cancel reason is forwarded to the provider (elsewhere it is ignored).', resolve: (p) => CAPABILITIES[p].reason !== undefined }),
    reasonMinLength: t.int({ nullable: true, description: 'The shortest reason the provider takes, in characters; null when it takes none.', resolve: (p) => CAPABILITIES[p].reason?.min ?? null }),
    reasonMaxLength: t.int({ nullable: true, description: 'The longest reason the provider takes, in characters; null when it takes none.', resolve: (p) => CAPABILITIES[p].reason?.max ?? null }),
    circuit: t.field({
      type: CircuitStateEnum,
      nullable: true,
      description: "The gateway's circuit breaker for this provider; null when it is not configured.",
      resolve: (p, _a, ctx) => ctx.runs.service.circuit(p) ?? null,
    }),
  }),
});

builder.queryField('providers', (t) =>
  t.field({ type: [ProviderInfo], authScopes: { 'runs:read': true }, description: 'Every provider, configured or not.', resolve: () => [...RUN_PROVIDERS] }),
);
