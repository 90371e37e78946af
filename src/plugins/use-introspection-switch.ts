// RUNGATE_INTROSPECTION=0: `__schema` and `__type` fail validation (graphql-js'
// NoSchemaIntrospectionCustomRule), so the schema cannot be read by introspection. `__typename`
// stays available (clients need it for unions), and so does the federation `_service { sdl }`,
// which routers read to compose the supergraph (it needs a valid caller token like everything else).
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function useIntrospectionSwitch({ enabled }: { enabled: boolean }): Plugin {
  if (enabled) return {};
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
