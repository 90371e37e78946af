// Writes the checked-in schema artifacts from the code: schema.graphql (client-facing) and
// subgraph.graphql (with federation directives). test/schema-artifacts.test.ts fails on drift.
import { writeFileSync } from 'node:fs';
import { printClientSchema, printSubgraphSdl } from '../src/schema/index.js';

const root = new URL('..', import.meta.url);
writeFileSync(new URL('schema.graphql', root), printClientSchema() + '\n');
writeFileSync(new URL('subgraph.graphql', root), printSubgraphSdl() + '\n');
console.log('wrote schema.graphql and subgraph.graphql');
