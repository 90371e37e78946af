// Sandbox mode: the five simulated providers, started in-process on loopback, and the provider
// configuration that points the gateway at them with their sandbox credentials.
import type { ProvidersConfig } from '../config.js';
import { DATAFRAMER_SANDBOX_KEY, startDataFramerSim } from './dataframer.js';
import { PLAYBOOK_SANDBOX_API_KEY, PLAYBOOK_SANDBOX_JWT, startPlaybookSim } from './playbook.js';
import { RETAB_SANDBOX_KEY, startRetabSim } from './retab.js';
import { RUNFLOW_SANDBOX_ADMIN_KEY, startRunflowSim } from './runflow.js';
import type { Simulator } from './sim-server.js';
import { TRIGGER_SANDBOX_SECRET_KEY, startTriggerDevSim } from './trigger-dev.js';

/** Delay of each simulated answer in sandbox mode. */
export const SANDBOX_LATENCY_MS = 20;

export interface Sandbox {
  providers: ProvidersConfig;
  simulators: Simulator[];
  close(): Promise<void>;
}

export async function startSandbox(): Promise<Sandbox> {
  const [dataframer, retab, runflow, playbook, trigger] = await Promise.all([
    startDataFramerSim(),
    startRetabSim(),
    startRunflowSim(),
    startPlaybookSim(),
    startTriggerDevSim(),
  ]);
  const simulators: Simulator[] = [dataframer, retab, runflow, playbook, trigger];
  // A little latency, as real providers have, so concurrency shows in /sandbox/requests (maxInFlight).
  for (const sim of simulators) sim.latencyMs = SANDBOX_LATENCY_MS;
  return {
    providers: {
      DATAFRAMER: { baseUrl: dataframer.url, credentials: { apiKey: DATAFRAMER_SANDBOX_KEY }, credentialVariables: ['DATAFRAMER_API_KEY'] },
      RETAB: { baseUrl: retab.url, credentials: { apiKey: RETAB_SANDBOX_KEY }, credentialVariables: ['RETAB_API_KEY'] },
      RUNFLOW: { baseUrl: runflow.url, credentials: { adminKey: RUNFLOW_SANDBOX_ADMIN_KEY }, credentialVariables: ['RUNFLOW_ADMIN_KEY'] },
      PLAYBOOK: {
        baseUrl: playbook.url,
        credentials: { apiKey: PLAYBOOK_SANDBOX_API_KEY, jwt: PLAYBOOK_SANDBOX_JWT },
        credentialVariables: ['PLAYBOOK_API_KEY', 'PLAYBOOK_JWT', 'PLAYBOOK_BASE_URL'],
      },
      TRIGGER_DEV: { baseUrl: trigger.url, credentials: { secretKey: TRIGGER_SANDBOX_SECRET_KEY }, credentialVariables: ['TRIGGER_SECRET_KEY'] },
    },
    simulators,
    close: async () => {
      await Promise.all(simulators.map((s) => s.close()));
    },
  };
}
