// Limits on the shape of a GraphQL document, from graphql-armor: tokens (checked while parsing,
// so a huge document is never fully parsed), depth and aliases (checked in validation). A document
// over a limit fails with a GraphQL error before anything executes, so before any upstream call.
// How many ids one `runs` call may take is the schema's own rule (MAX_RUN_IDS in run-query.ts).
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface QueryLimits {
  /** Deepest field nesting; fragments do not add a level (only fields do). */
  maxDepth: number;
  /** Aliased fields in one operation, fragments included. */
  maxAliases: number;
  /** Lexical tokens in the whole document. */
  maxTokens: number;
}

export function useQueryLimits({ maxDepth, maxAliases, maxTokens }: QueryLimits): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(maxTokensPlugin({ n: maxTokens }) as Plugin);
      // `__schema` is not counted, so GraphiQL's introspection query passes whatever the depth limit.
      addPlugin(maxDepthPlugin({ n: maxDepth, flattenFragments: true, ignoreIntrospection: true }) as Plugin);
      addPlugin(maxAliasesPlugin({ n: maxAliases }) as Plugin);
      // Added last so it wraps whichever parser the plugins above installed.
      addPlugin(parseDepthGuard);
    },
  };
}

const parseDepthGuard: Plugin = {
  // graphql-js parses recursively: a document nested deeply enough overflows the stack before
  // the token limit is reached. That is the caller's document being too deep, not our failure.
  onParse({ parseFn, setParseFn }) {
    setParseFn((source, options) => {
      try {
        return parseFn(source, options);
      } catch (error) {
        if (error instanceof RangeError) throw new GraphQLError('Syntax Error: the document nests deeper than the depth limit allows.');
        throw error;
      }
    });
  },
};
