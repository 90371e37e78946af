// The global run id, printed and parsed in one place:
//   <provider>:<providerRunId>           e.g. dataframer:6f1c...,  trigger-dev:run_abc
//   playbook:<teamId>/<runId>
// Ids stay URL-safe: a provider run id with reserved characters is percent-encoded inside the id.
import type { RunProvider, RunRef } from './domain.js';
import { InvalidRunInputError } from './errors.js';

const PREFIX: Record<RunProvider, string> = {
  DATAFRAMER: 'dataframer',
  RETAB: 'retab',
  RUNFLOW: 'runflow',
  PLAYBOOK: 'playbook',
  TRIGGER_DEV: 'trigger-dev',
};
const BY_PREFIX = new Map(Object.entries(PREFIX).map(([p, prefix]) => [prefix, p as RunProvider]));

export function globalRunId(ref: RunRef): string {
  const local =
    ref.provider === 'PLAYBOOK'
      ? `${encodeURIComponent(ref.teamId ?? '')}/${encodeURIComponent(ref.providerRunId)}`
      : encodeURIComponent(ref.providerRunId);
  return `${PREFIX[ref.provider]}:${local}`;
}

/** Parses a global run id; throws InvalidRunInputError (field `id`) when it is malformed. */
export function parseGlobalRunId(id: string): RunRef {
  const colon = id.indexOf(':');
  const provider = colon > 0 ? BY_PREFIX.get(id.slice(0, colon)) : undefined;
  if (!provider) {
    throw new InvalidRunInputError(
      `"${truncate(id)}" is not a run id: expected <provider>:<runId> with provider one of ${[...BY_PREFIX.keys()].join(', ')}.`,
      'id',
    );
  }
  const local = id.slice(colon + 1);
  try {
    if (provider === 'PLAYBOOK') {
      const slash = local.indexOf('/');
      if (slash < 0) {
        throw new InvalidRunInputError(`A Playbook run id has the form playbook:<teamId>/<runId>.`, 'id', provider);
      }
      return {
        provider,
        teamId: decodeURIComponent(local.slice(0, slash)),
        providerRunId: decodeURIComponent(local.slice(slash + 1)),
      };
    }
    return { provider, providerRunId: decodeURIComponent(local) };
  } catch (error) {
    if (error instanceof InvalidRunInputError) throw error;
    throw new InvalidRunInputError(`"${truncate(id)}" is not a run id: it has a malformed percent-escape.`, 'id', provider);
  }
}

export function providerIdPrefix(provider: RunProvider): string {
  return PREFIX[provider];
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
