// Caller authentication: `Authorization: Bearer <token>` on every request to the GraphQL endpoint,
// checked against RUNGATE_API_TOKENS before anything is parsed or executed. A missing or unknown
// token ends the request with HTTP 401; nothing reaches the schema, so nothing reaches an upstream.
// Scopes are enforced per field by the schema (Pothos scope-auth) from the caller set here.
//
// Tokens are compared in constant time: only SHA-256 digests are held, the presented token is
// hashed, and every configured digest is compared with timingSafeEqual without stopping early.
// The token is never logged and never echoed.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { CALLER_SCOPES, type ApiToken } from '../config.js';
import type { Caller } from '../schema/builder.js';

export interface CallerAuthOptions {
  /** The configured callers; empty: every request is the anonymous caller with every scope. */
  tokens: readonly ApiToken[];
  logger: Logger;
}

/** Without configured tokens (sandbox, or RUNGATE_ALLOW_ANONYMOUS=1) every caller is this one. */
export const ANONYMOUS_CALLER: Caller = Object.freeze({ name: 'anonymous', scopes: new Set(CALLER_SCOPES) });
/** What a request that never went through this plugin is: no scopes, so every field is denied. */
const NOBODY: Caller = Object.freeze({ name: 'unauthenticated', scopes: new Set<never>() });

const callers = new WeakMap<Request, Caller>();

/** The caller of a request, as established by useCallerAuth (fails closed: no scopes). */
export function callerOf(request: Request): Caller {
  return callers.get(request) ?? NOBODY;
}

/** Compares the presented token with every configured one; returns the match, if any. */
export function findCaller(tokens: readonly ApiToken[], presented: string): ApiToken | undefined {
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiToken | undefined;
  for (const t of tokens) {
    // No early exit: the time taken does not depend on which entry, if any, matches.
    if (timingSafeEqual(digest, t.digest) && !found) found = t;
  }
  return found;
}

/** What GraphiQL's Headers tab starts with when tokens are configured (server.ts). */
export const GRAPHIQL_PLACEHOLDER = 'YOUR_RUNGATE_TOKEN';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Every request that reaches this plugin needs a token, whatever its path: Yoga serves GraphQL on
 * any URL that ends with the endpoint (`/x/graphql`, `/?a=/graphql`), so gating by path would leave
 * gaps. What must stay open is answered by Yoga's own plugins before this one runs: the health
 * check (`/health`) and, when enabled, the GraphiQL page. CORS preflights carry no credentials by
 * design and are let through to the CORS plugin (or Yoga's refusal).
 */
export function useCallerAuth({ tokens, logger }: CallerAuthOptions): Plugin {
  const open = tokens.length === 0;
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (open) {
        callers.set(request, ANONYMOUS_CALLER);
        return;
      }
      if (request.method === 'OPTIONS') return;

      const header = request.headers.get('authorization');
      const match = header ? BEARER.exec(header) : null;
      const caller = match ? findCaller(tokens, match[1]!) : undefined;
      if (caller) {
        callers.set(request, { name: caller.name, scopes: caller.scopes });
        return;
      }
      const reason = header === null ? 'missing' : match ? 'unknown' : 'malformed';
      logger.info({ status: 401, reason, method: request.method }, 'caller not authenticated');
      const message =
        reason === 'missing'
          ? 'Authentication required: send Authorization: Bearer <token>.'
          : reason === 'malformed'
            ? 'Authentication failed: the Authorization header must be "Bearer <token>".'
            : match![1] === GRAPHIQL_PLACEHOLDER
              ? `Authentication required: replace ${GRAPHIQL_PLACEHOLDER} in GraphiQL's Headers tab with your token, then re-fetch the schema.`
              : 'Authentication failed: the bearer token is not valid.';
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }), {
          status: 401,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'www-authenticate': reason === 'missing' ? 'Bearer realm="rungate"' : 'Bearer realm="rungate", error="invalid_token"',
            'cache-control': 'no-store',
          },
        }),
      );
    },
  };
}
