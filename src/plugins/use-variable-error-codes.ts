// graphql-js reports variables that do not fit their types ("Variable "$id" of non-null type
// "ID!" must not be null.") without a code, unlike parse and validation errors. Clients branch on
// codes, so those get BAD_USER_INPUT: nothing ran, the request itself was wrong.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const VARIABLE_ERROR = /^Variable "\$[^"]+" /;

export function useVariableErrorCodes(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length || result.data !== undefined) return;
          if (!result.errors.every((e) => VARIABLE_ERROR.test(e.message) && !e.extensions?.code)) return;
          setResult({
            ...result,
            errors: result.errors.map(
              (e) => new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { ...e.extensions, code: 'BAD_USER_INPUT' } }),
            ),
          });
        },
      };
    },
  };
}
