import { CAPABILITIES } from '../providers/provider.js';
import type { CancelResult } from '../runs/domain.js';
import { builder } from './builder.js';
import { CancelOutcomeEnum, RunProviderEnum } from './enums.js';
import { CANCEL_ERRORS } from './errors.js';
import { RunObject } from './run.js';

const CancelRunInput = builder.inputType('CancelRunInput', {
  description: 'Which run to cancel, and why.',
  fields: (t) => ({
    provider: t.field({ type: RunProviderEnum, required: true, description: 'Where the run lives.' }),
    runId: t.string({ required: true, description: "The run's id at its provider (not the global id)." }),
    teamId: t.string({ description: 'The owning team: required by Playbook (a UUID), ignored elsewhere.' }),
    reason: t.string({ description: 'Why, forwarded where the provider takes one (Runflow: 3-500 characters); ignored elsewhere.' }),
  }),
});

const CancelRunSuccess = builder.objectRef<CancelResult>('CancelRunSuccess').implement({
  description: 'The provider took the cancel, or the run was cancelled already.',
  fields: (t) => ({
    run: t.field({ type: RunObject, description: 'The run as the cancel left it; its lifecycle costs no further upstream call (times the cancel answer lacked may cost one read).', resolve: (r) => r.run }),
    outcome: t.field({ type: CancelOutcomeEnum, description: 'What this request did.', resolve: (r) => r.outcome }),
  }),
});

builder.mutationField('cancelRun', (t) =>
  t.field({
    type: CancelRunSuccess,
    authScopes: { 'runs:cancel': true },
    description: 'Cancels a run at its provider. Every outcome, including every provider failure, is a member of the payload union.',
    args: { input: t.arg({ type: CancelRunInput, required: true }) },
    errors: { types: CANCEL_ERRORS, directResult: true, union: { name: 'CancelRunPayload', description: 'The cancel succeeded, or the typed reason it did not: switch on __typename.' } },
    resolve: (_root, { input }, ctx) =>
      ctx.runs.cancel(
        // teamId means something to Playbook alone; elsewhere it is ignored, as its description says.
        { provider: input.provider, providerRunId: input.runId, teamId: CAPABILITIES[input.provider].teamId ? (input.teamId ?? undefined) : undefined },
        { reason: input.reason ?? undefined },
      ),
  }),
);
