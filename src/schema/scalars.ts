import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';

// Providers write timestamps their own way (`Z`, `+00:00`, fractional seconds); clients get one form.
export const DateTime = builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC (2026-05-18T10:00:04.000Z).',
  serialize: (value) => {
    const ms = Date.parse(String(value));
    if (Number.isNaN(ms)) throw new GraphQLError(`DateTime cannot represent "${String(value)}".`);
    return new Date(ms).toISOString();
  },
  parseValue: (value) => {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new GraphQLError('DateTime must be an ISO-8601 string.');
    return new Date(value).toISOString();
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value))) throw new GraphQLError('DateTime must be an ISO-8601 string.');
    return new Date(ast.value).toISOString();
  },
});
