import type { ObjectRef } from '@pothos/core';
import { CAPABILITIES } from '../providers/provider.js';
import type { RunSnapshot, RunStatus } from '../runs/domain.js';
import { OperationNotSupportedError } from '../runs/errors.js';
import { globalRunId, parseGlobalRunId } from '../runs/run-ref.js';
import { builder, requireScope, type Context } from './builder.js';
import { RunProviderEnum, RunStatusEnum } from './enums.js';
import { DateTime } from './scalars.js';

export const RunObject = builder.objectRef<RunSnapshot>('Run');

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type Fields = PothosSchemaTypes.ObjectFieldBuilder<Types, RunSnapshot>;

// What every lifecycle member has, so a client can select it once for all of them:
// `lifecycle { ... on RunLifecycleState { status providerStatus } }`.
const MEMBER_NAMES: Record<RunStatus, string> = {
  PENDING: 'RunPending',
  QUEUED: 'RunQueued',
  RUNNING: 'RunRunning',
  SUCCEEDED: 'RunSucceeded',
  FAILED: 'RunFailed',
  CANCELLED: 'RunCancelled',
  UNKNOWN: 'RunStatusUnknown',
};

const RunLifecycleState = builder.interfaceRef<RunSnapshot>('RunLifecycleState').implement({
  description: 'The fields every member of RunLifecycle has.',
  resolveType: (snapshot) => MEMBER_NAMES[snapshot.status],
  fields: (t) => ({
    status: t.field({ type: RunStatusEnum, description: 'The status, normalized across providers.', resolve: (s) => s.status }),
    providerStatus: t.string({
      nullable: true,
      description: "The provider's own status literal, as it sent it, when known.",
      resolve: (s) => s.providerStatus ?? null,
    }),
  }),
});

// One object type per state, all backed by the snapshot that determined the state.
function lifecycleMember(status: RunStatus, description: string, extra: (t: Fields) => object = () => ({})): ObjectRef<Types, RunSnapshot> {
  return builder.objectRef<RunSnapshot>(MEMBER_NAMES[status]).implement({
    description,
    interfaces: [RunLifecycleState],
    fields: (t) => ({ ...extra(t) }),
  });
}

/**
 * A time of a run: from the snapshot when it is a full read, else from the request's loader (a
 * cancel answer like DataFramer's 204 says the run is cancelled, not when it started).
 */
function detail(field: 'createdAt' | 'startedAt' | 'finishedAt') {
  return async (s: RunSnapshot, _args: object, ctx: Context): Promise<string | null> => {
    if (s.complete || s[field] !== undefined) return s[field] ?? null;
    if (!ctx.runs.service.isConfigured(s.ref.provider) || !CAPABILITIES[s.ref.provider].read) return null;
    // Details are best effort: the lifecycle above is authoritative and already known.
    const full = await ctx.runs.read(s.ref).catch(() => undefined);
    return full?.[field] ?? null;
  };
}

const time = (t: Fields, field: 'startedAt' | 'finishedAt', description: string) =>
  t.field({ type: DateTime, nullable: true, description, resolve: detail(field) });

const members: Record<RunStatus, ReturnType<typeof lifecycleMember>> = {
  PENDING: lifecycleMember('PENDING', 'Created; not yet queued for execution.'),
  QUEUED: lifecycleMember('QUEUED', 'Waiting for a worker.'),
  RUNNING: lifecycleMember('RUNNING', 'Executing.', (t) => ({
    startedAt: time(t, 'startedAt', 'When execution started, when the provider says.'),
  })),
  SUCCEEDED: lifecycleMember('SUCCEEDED', 'Finished successfully.', (t) => ({
    finishedAt: time(t, 'finishedAt', 'When the run finished, when the provider says.'),
    partial: t.boolean({
      nullable: true,
      description: 'True when the provider reports success with some items failed (Runflow partial_succeeded); null where the provider has no such notion.',
      resolve: (s) => s.partial ?? null,
    }),
  })),
  FAILED: lifecycleMember('FAILED', 'Finished with an error.', (t) => ({
    finishedAt: time(t, 'finishedAt', 'When the run finished, when the provider says.'),
    failureMessage: t.string({ nullable: true, description: "The provider's explanation of the failure.", resolve: (s) => s.failureMessage ?? null }),
    failureCode: t.string({ nullable: true, description: "The provider's machine-readable failure code.", resolve: (s) => s.failureCode ?? null }),
  })),
  CANCELLED: lifecycleMember('CANCELLED', 'Stopped by a cancel before it finished.', (t) => ({
    finishedAt: time(t, 'finishedAt', 'When the run was cancelled, when the provider says.'),
    reason: t.string({ nullable: true, description: 'Why it was cancelled, where the provider records a reason.', resolve: (s) => s.cancelReason ?? null }),
  })),
  UNKNOWN: lifecycleMember('UNKNOWN', 'The provider reported a status this gateway cannot place; providerStatus holds it.'),
};

export const RunLifecycle = builder.unionType('RunLifecycle', {
  description: "Where a run is in its life. Every member implements RunLifecycleState (status and the provider's own providerStatus).",
  types: Object.values(members),
  resolveType: (snapshot) => members[snapshot.status],
});

RunObject.implement({
  description: 'A run at one provider.',
  fields: (t) => ({
    id: t.id({
      description:
        'Global id: <provider>:<providerRunId>, or playbook:<teamId>/<runId>, each run id percent-encoded as encodeURIComponent does (so retab:a%2Fb is the run "a/b"). Accepted by every operation that takes an id.',
      resolve: (s) => globalRunId(s.ref),
    }),
    provider: t.field({ type: RunProviderEnum, description: 'Where the run lives.', resolve: (s) => s.ref.provider }),
    providerRunId: t.string({ description: "The run's id at its provider.", resolve: (s) => s.ref.providerRunId }),
    teamId: t.string({ nullable: true, description: 'The owning team, for providers that scope runs by team (Playbook).', resolve: (s) => s.ref.teamId ?? null }),
    lifecycle: t.field({ type: RunLifecycle, description: 'Where the run is in its life: switch on __typename.', resolve: (s) => s }),
    createdAt: t.field({ type: DateTime, nullable: true, description: 'When the run was created, when the provider says.', resolve: detail('createdAt') }),
    startedAt: t.field({
      type: DateTime,
      nullable: true,
      description: 'When it started executing, when the provider says (the same as RunRunning.startedAt, for any state).',
      resolve: detail('startedAt'),
    }),
    finishedAt: t.field({
      type: DateTime,
      nullable: true,
      description: 'When it finished, when the provider says (the same as finishedAt on the finished states).',
      resolve: detail('finishedAt'),
    }),
  }),
});

// A federation entity: other subgraphs reference a Run by its global id alone.
builder.asEntity(RunObject, {
  key: builder.selection<{ id: string }>('id'),
  // _entities is added by the federation plugin outside Pothos' resolver wrapping: check the scope here.
  // Each representation settles on its own (async: a throw rejects only its own entity). A typed
  // error cannot be a member here, so it becomes that entity's GraphQL error, with its code.
  resolveReference: async ({ id }, ctx) => {
    requireScope(ctx, 'runs:read', '_entities (Run)');
    const ref = parseGlobalRunId(id);
    try {
      return await ctx.runs.read(ref);
    } catch (error) {
      // The run exists for the subgraph that references it; this provider just cannot say how it is.
      if (error instanceof OperationNotSupportedError) return { ref, status: 'UNKNOWN', complete: true } satisfies RunSnapshot;
      throw error;
    }
  },
});
