import { parseGlobalRunId } from '../runs/run-ref.js';
import { builder } from './builder.js';
import { READ_ERRORS } from './errors.js';
import { RunObject } from './run.js';

/** How many ids one request may ask for, across all its `runs` fields (aliases included). */
export const MAX_RUN_IDS = 100;

// One union for both fields, so a client's fragments on RunResult fit `run` and `runs` alike.
// Run itself is the success member: `... on Run { lifecycle { ... } }`.
const RunResult = builder.errorUnion('RunResult', {
  description: 'A run, or the typed reason it could not be read.',
  types: [RunObject, ...READ_ERRORS],
  // Errors are resolved by the plugin; anything else a read returns is a run snapshot.
  resolveType: () => 'Run',
});

builder.queryField('run', (t) =>
  t.field({
    type: RunResult,
    authScopes: { 'runs:read': true },
    description: 'Reads one run by its global id.',
    args: { id: t.arg.id({ required: true, description: 'A global run id, as Run.id gives it.' }) },
    // The errors plugin turns a thrown READ_ERRORS instance into its union member.
    extensions: { pothosErrors: READ_ERRORS },
    resolve: (_root, { id }, ctx) => ctx.runs.read(parseGlobalRunId(String(id))),
  }),
);

builder.queryField('runs', (t) =>
  t.field({
    type: [RunResult],
    authScopes: { 'runs:read': true },
    description: `Reads runs by global id: one result per id, in order; one bad id never fails the others. At most ${MAX_RUN_IDS} ids per request, across all runs fields.`,
    args: { ids: t.arg.idList({ required: true, description: 'Global run ids, as Run.id gives them; duplicates are read once.' }) },
    extensions: { pothosItemErrors: READ_ERRORS },
    resolve: (_root, { ids }, ctx) => {
      // The request-wide cap (MAX_RUN_IDS) is enforced before execution by useRunIdsBudget.
      // Each id settles on its own: a malformed one rejects only its own item.
      return ids.map(async (id) => ctx.runs.read(parseGlobalRunId(String(id))));
    },
  }),
);
