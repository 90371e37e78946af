// The one Pothos builder. Plugin order as the stack notes found working: scope-auth, errors,
// directives, federation (scope-auth first, so a denied field never reaches the errors plugin's
// wrapper or the resolver, and so never an upstream).
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import FederationPlugin from '@pothos/plugin-federation';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { CallerScope } from '../config.js';
import type { RequestRuns } from '../runs/run-service.js';

/** Who is calling, as the caller-auth plugin established it from the bearer token. */
export interface Caller {
  /** The token's name from RUNGATE_API_TOKENS (never the token), or "anonymous" without tokens. */
  name: string;
  scopes: ReadonlySet<CallerScope>;
}

export interface Context {
  runs: RequestRuns;
  caller: Caller;
}

/** The authorization error of a caller without the scope a field needs: top-level, code FORBIDDEN. */
export function forbidden(what: string, scope: CallerScope, caller: Caller): GraphQLError {
  const held = caller.scopes.size ? [...caller.scopes].join(', ') : 'none';
  return new GraphQLError(`Forbidden: ${what} needs the ${scope} scope; this caller's token has ${held}.`, {
    extensions: { code: 'FORBIDDEN', requiredScope: scope },
  });
}

/** For resolvers Pothos does not wrap (the federation entity's reference resolver). */
export function requireScope(ctx: Context, scope: CallerScope, what: string): void {
  if (!ctx.caller.scopes.has(scope)) throw forbidden(what, scope, ctx.caller);
}

function missingScope(failure: AuthFailure): CallerScope | undefined {
  if (failure.kind === AuthScopeFailureType.AuthScope) return failure.scope as CallerScope;
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    for (const f of failure.failures) {
      const s = missingScope(f);
      if (s) return s;
    }
  }
  return undefined;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { [S in CallerScope]: boolean };
  Scalars: {
    DateTime: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      'runs:read': ctx.caller.scopes.has('runs:read'),
      'runs:cancel': ctx.caller.scopes.has('runs:cancel'),
    }),
    unauthorizedError: (_parent, ctx, info, result) =>
      forbidden(`${info.parentType.name}.${info.fieldName}`, missingScope(result.failure) ?? 'runs:read', ctx.caller),
  },
});

// Every query field needs runs:read and every mutation runs:cancel unless a field says otherwise,
// so a field added later is never open by omission. Root fields also state their scope themselves.
builder.queryType({ authScopes: { 'runs:read': true } });
builder.mutationType({ authScopes: { 'runs:cancel': true } });
