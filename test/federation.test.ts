// rungate as a subgraph: composed beside a second subgraph that references Run, behind a real
// federated gateway (Apollo Gateway + Apollo Server, dev/test only), answering a query that
// crosses both: the gateway resolves runs of several providers through rungate's _entities.
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printSubgraphSdl } from '../src/schema/index.js';
import { DATAFRAMER_SANDBOX_KEY, startDataFramerSim } from '../src/sandbox/dataframer.js';
import { PLAYBOOK_SANDBOX_API_KEY, PLAYBOOK_SANDBOX_JWT, startPlaybookSim } from '../src/sandbox/playbook.js';
import { RETAB_SANDBOX_KEY, startRetabSim } from '../src/sandbox/retab.js';
import { RUNFLOW_SANDBOX_ADMIN_KEY, startRunflowSim } from '../src/sandbox/runflow.js';
import type { Simulator } from '../src/sandbox/sim-server.js';
import { TRIGGER_SANDBOX_SECRET_KEY, startTriggerDevSim } from '../src/sandbox/trigger-dev.js';
import { startGateway, type TestGateway } from './support/gateway.js';

// A second team's subgraph: deployments that point at the run that produced them.
const deploymentsSdl = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Query { deployments: [Deployment!]! }
  type Deployment @key(fields: "id") { id: ID! name: String! run: Run! }
  type Run @key(fields: "id", resolvable: false) { id: ID! }
`;
const deployments = [
  { id: 'd1', name: 'invoices-v2', runId: 'dataframer:df-succeeded' },
  { id: 'd2', name: 'extract-eval', runId: 'retab:exprun_running' },
  { id: 'd3', name: 'bg-removal', runId: 'runflow:01J0-failed' },
  { id: 'd4', name: 'nightly-sync', runId: 'trigger-dev:run_completed' },
  { id: 'd5', name: 'invoices-v2-again', runId: 'dataframer:df-succeeded' },
];

let sims: Simulator[] = [];
let rungate: TestGateway;
let deploymentsServer: Server;
let deploymentsUrl: string;
let apollo: ApolloServer;

beforeAll(async () => {
  const [df, rt, rf, tr, pb] = await Promise.all([startDataFramerSim(), startRetabSim(), startRunflowSim(), startTriggerDevSim(), startPlaybookSim()]);
  sims = [df, rt, rf, tr, pb];
  rungate = await startGateway({
    DATAFRAMER_API_KEY: DATAFRAMER_SANDBOX_KEY,
    DATAFRAMER_BASE_URL: df.url,
    RETAB_API_KEY: RETAB_SANDBOX_KEY,
    RETAB_BASE_URL: rt.url,
    RUNFLOW_ADMIN_KEY: RUNFLOW_SANDBOX_ADMIN_KEY,
    RUNFLOW_BASE_URL: rf.url,
    TRIGGER_SECRET_KEY: TRIGGER_SANDBOX_SECRET_KEY,
    TRIGGER_BASE_URL: tr.url,
    PLAYBOOK_API_KEY: PLAYBOOK_SANDBOX_API_KEY,
    PLAYBOOK_JWT: PLAYBOOK_SANDBOX_JWT,
    PLAYBOOK_BASE_URL: pb.url,
  });

  const schema = buildSubgraphSchema({
    typeDefs: parse(deploymentsSdl),
    resolvers: {
      Query: { deployments: () => deployments },
      Deployment: { run: (d: { runId: string }) => ({ id: d.runId }) },
    },
  });
  deploymentsServer = createServer(createYoga({ schema, graphqlEndpoint: '/graphql', logging: false }));
  await new Promise<void>((r) => deploymentsServer.listen(0, '127.0.0.1', r));
  deploymentsUrl = `http://127.0.0.1:${(deploymentsServer.address() as AddressInfo).port}/graphql`;

  const composed = composeServices([
    { name: 'rungate', typeDefs: parse(printSubgraphSdl()), url: rungate.url },
    { name: 'deployments', typeDefs: parse(deploymentsSdl), url: deploymentsUrl },
  ]);
  if (composed.errors?.length) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  apollo = new ApolloServer({
    gateway: new ApolloGateway({ supergraphSdl: composed.supergraphSdl, buildService: ({ url }) => new RemoteGraphQLDataSource({ url }) }),
  });
  await apollo.start();
}, 60_000);

afterAll(async () => {
  await apollo?.stop();
  await new Promise((r) => deploymentsServer?.close(r));
  await rungate?.close();
  await Promise.all(sims.map((s) => s.close()));
});

describe('rungate in a federated supergraph', () => {
  it('composes with another subgraph that references Run, with no errors', () => {
    const composed = composeServices([
      { name: 'rungate', typeDefs: parse(printSubgraphSdl()), url: 'http://rungate' },
      { name: 'deployments', typeDefs: parse(deploymentsSdl), url: 'http://deployments' },
    ]);
    expect(composed.errors ?? []).toEqual([]);
    expect(composed.supergraphSdl).toContain('type Run');
  });

  it('answers a query that crosses both subgraphs, resolving runs of four providers through _entities', async () => {
    for (const s of sims) s.clearRequests();
    const res = await apollo.executeOperation({
      query: /* GraphQL */ `{
        deployments {
          name
          run { id provider providerRunId lifecycle { __typename ... on RunSucceeded { status providerStatus } ... on RunRunning { status } ... on RunFailed { status failureMessage } } }
        }
      }`,
    });
    expect(res.body.kind).toBe('single');
    const body = res.body.kind === 'single' ? res.body.singleResult : undefined;
    expect(body?.errors).toBeUndefined();
    expect(body?.data?.deployments).toEqual([
      { name: 'invoices-v2', run: { id: 'dataframer:df-succeeded', provider: 'DATAFRAMER', providerRunId: 'df-succeeded', lifecycle: { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'SUCCEEDED' } } },
      { name: 'extract-eval', run: { id: 'retab:exprun_running', provider: 'RETAB', providerRunId: 'exprun_running', lifecycle: { __typename: 'RunRunning', status: 'RUNNING' } } },
      {
        name: 'bg-removal',
        run: { id: 'runflow:01J0-failed', provider: 'RUNFLOW', providerRunId: '01J0-failed', lifecycle: { __typename: 'RunFailed', status: 'FAILED', failureMessage: expect.any(String) } },
      },
      { name: 'nightly-sync', run: { id: 'trigger-dev:run_completed', provider: 'TRIGGER_DEV', providerRunId: 'run_completed', lifecycle: { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'COMPLETED' } } },
      { name: 'invoices-v2-again', run: { id: 'dataframer:df-succeeded', provider: 'DATAFRAMER', providerRunId: 'df-succeeded', lifecycle: { __typename: 'RunSucceeded', status: 'SUCCEEDED', providerStatus: 'SUCCEEDED' } } },
    ]);
    // The reference resolver goes through the DataLoader: one read per distinct run.
    const reads = sims.flatMap((s) => s.requests.map((r) => `${r.method} ${r.path}`));
    expect(reads.sort()).toEqual(
      [
        'GET /api/dataframer/runs/df-succeeded/',
        'GET /v1/workflows/experiments/runs/exprun_running',
        'GET /v1/runs/01J0-failed',
        'GET /api/v3/runs/run_completed',
      ].sort(),
    );
  });

  it('answers _entities directly, as a router would send it', async () => {
    const res = await rungate.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Run { id lifecycle { __typename } } } }`,
      { r: [{ __typename: 'Run', id: 'trigger-dev:run_executing' }, { __typename: 'Run', id: 'dataframer:df-pending' }] },
    );
    expect(res.data?._entities).toEqual([
      { id: 'trigger-dev:run_executing', lifecycle: { __typename: 'RunRunning' } },
      { id: 'dataframer:df-pending', lifecycle: { __typename: 'RunPending' } },
    ]);
  });

  it('_entities settles each reference on its own: a missing or malformed one is null with its code, the others resolve', async () => {
    const res = await rungate.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Run { id lifecycle { __typename } } } }`,
      {
        r: [
          { __typename: 'Run', id: 'trigger-dev:run_failed' },
          { __typename: 'Run', id: 'retab:exprun_nope' },
          { __typename: 'Run', id: 'bad' },
          { __typename: 'Run', id: 'dataframer:df-succeeded' },
        ],
      },
    );
    expect(res.data?._entities).toEqual([{ id: 'trigger-dev:run_failed', lifecycle: { __typename: 'RunFailed' } }, null, null, { id: 'dataframer:df-succeeded', lifecycle: { __typename: 'RunSucceeded' } }]);
    const byPath = Object.fromEntries((res.errors ?? []).map((e: any) => [e.path.join('.'), e.extensions.code]));
    expect(byPath).toEqual({ '_entities.1': 'RUN_NOT_FOUND', '_entities.2': 'INVALID_RUN_INPUT' });
    expect(JSON.stringify(res.errors)).not.toMatch(/Unexpected error/);
  });

  it('_entities resolves a Playbook run, which has no read API, with an unknown lifecycle rather than an error', async () => {
    const id = 'playbook:7ea30000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000004';
    const res = await rungate.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Run { id provider teamId providerRunId lifecycle { __typename } } } }`,
      { r: [{ __typename: 'Run', id }] },
    );
    expect(res.errors).toBeUndefined();
    expect(sims[4]!.requests).toEqual([]);
    expect(res.data?._entities).toEqual([
      { id, provider: 'PLAYBOOK', teamId: '7ea30000-0000-4000-8000-000000000001', providerRunId: '00000000-0000-4000-8000-000000000004', lifecycle: { __typename: 'RunStatusUnknown' } },
    ]);
  });
});
