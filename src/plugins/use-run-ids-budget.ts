// One request may ask `runs` (and federation's `_entities`) for at most MAX_RUN_IDS ids in all,
// counted before execution so that aliases (`a: runs(...) b: runs(...)`) cannot multiply the
// upstream reads one request causes.
import { GraphQLError, Kind, visit, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function useRunIdsBudget(maxIds: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const total = countRunIds(args.document, args.operationName ?? undefined, args.variableValues ?? {});
      if (total > maxIds) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(`runs takes at most ${maxIds} ids per request; this request asks for ${total}.`, {
              // A request error, before execution: 400 under application/graphql-response+json.
              extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
            }),
          ],
        });
      }
    },
  };
}

/** Sums the `ids` of every `runs` field (and `_entities` representations) the executed operation can reach, fragments included. */
export function countRunIds(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation || operation.operation !== 'query') return 0;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  let total = 0;
  const seen = new Set<string>();
  const count = (node: Parameters<typeof visit>[0]) =>
    visit(node, {
      Field(field) {
        // _entities: a router's batch of references, one read each, like runs(ids:).
        const arg = field.name.value === 'runs' ? 'ids' : field.name.value === '_entities' ? 'representations' : undefined;
        if (!arg) return;
        const ids = field.arguments?.find((a) => a.name.value === arg)?.value;
        if (ids?.kind === Kind.LIST) total += ids.values.length;
        else if (ids?.kind === Kind.VARIABLE) {
          const value = variables[ids.name.value];
          total += Array.isArray(value) ? value.length : 1;
        } else if (ids) total += 1; // a single value coerces to a one-item list
      },
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !seen.has(spread.name.value)) {
          seen.add(spread.name.value);
          count(fragment);
        }
      },
    });
  count(operation);
  return total;
}
