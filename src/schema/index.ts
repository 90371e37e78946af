// Builds the schema once at start. The served schema is the federation subgraph (it adds
// _service and _entities); schema.graphql is the client-facing view of the same types.
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { builder } from './builder.js';
import './scalars.js';
import './enums.js';
import './run.js';
import './errors.js';
import './cancel-run.js';
import './run-query.js';
import './providers.js';

export const FEDERATION_LINK = 'https://specs.apollo.dev/federation/v2.6';

let built: { schema: GraphQLSchema; clientSchema: GraphQLSchema } | undefined;

function build() {
  built ??= {
    schema: builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK, federationDirectives: ['@key'] }),
    clientSchema: builder.toSchema(),
  };
  return built;
}

export function getSchema(): GraphQLSchema {
  return build().schema;
}

/** The client-facing SDL, as checked in at schema.graphql. */
export function printClientSchema(): string {
  return printSchema(lexicographicSortSchema(build().clientSchema));
}

/** The subgraph SDL with federation directives, as checked in at subgraph.graphql. */
export function printSubgraphSdl(): string {
  return printSubgraphSchema(lexicographicSortSchema(build().schema));
}
