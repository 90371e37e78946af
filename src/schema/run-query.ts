import { GraphQLError } from 'graphql';
import { GatewayError, type GatewayErrorCode } from '../runs/errors.js';
import type { RunSnapshot } from '../runs/domain.js';
import { parseGlobalRunId } from '../runs/run-ref.js';
import { builder, type Context } from './builder.js';
import { READ_ERRORS } from './errors.js';
import { RunObject } from './run.js';

/** How many ids one `runs` call may ask for. */
export const MAX_RUN_IDS = 100;

type ReadError = InstanceType<(typeof READ_ERRORS)[number]>;
const READ_ERROR_CODES = new Set<GatewayErrorCode>(READ_ERRORS.map((cls) => cls.prototype.code as GatewayErrorCode));

// Run itself is the success member: `... on Run { lifecycle { ... } }`.
const RunResult = builder.unionType('RunResult', {
  description: 'A run, or the typed reason it could not be read.',
  types: [RunObject, ...READ_ERRORS],
  resolveType: (value) => (value instanceof GatewayError ? value.name : 'Run'),
});

/** Reads one run; a typed failure becomes the answer instead of a GraphQL error. */
async function readOne(id: string, ctx: Context): Promise<RunSnapshot | ReadError> {
  try {
    return await ctx.runs.read(parseGlobalRunId(id));
  } catch (error) {
    if (error instanceof GatewayError && READ_ERROR_CODES.has(error.code)) return error as ReadError;
    throw error;
  }
}

builder.queryField('run', (t) =>
  t.field({
    type: RunResult,
    description: 'Reads one run by its global id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => readOne(String(id), ctx),
  }),
);

builder.queryField('runs', (t) =>
  t.field({
    type: [RunResult],
    description: `Reads up to ${MAX_RUN_IDS} runs by global id: one result per id, in order; one bad id never fails the others.`,
    args: { ids: t.arg.idList({ required: true }) },
    resolve: (_root, { ids }, ctx) => {
      if (ids.length > MAX_RUN_IDS) throw new GraphQLError(`runs takes at most ${MAX_RUN_IDS} ids; this call has ${ids.length}.`);
      return ids.map((id) => readOne(String(id), ctx));
    },
  }),
);
