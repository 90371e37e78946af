// Seeded runs that make a simulated provider fail the way its docs say it can, so every error
// type can be seen from GraphiQL. Each simulator renders these in its own error dialect.
export const SCENARIOS = [
  'unauthorized', // 401: the provider rejects the credentials
  'forbidden', // 403
  'payment-required', // 402, where the provider documents it
  'conflict', // 409, where the provider documents it
  'rate-limited', // 429 with the provider's rate-limit headers
  'unavailable', // 5xx
  'invalid', // 400/422: the provider rejects the input
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export function isScenario(v: string | undefined): v is Scenario {
  return (SCENARIOS as readonly string[]).includes(v ?? '');
}

/** A fixed clock for seeds: every sandbox run was created relative to the simulator's start. */
export function minutesAgo(start: number, minutes: number): string {
  return new Date(start - minutes * 60_000).toISOString();
}
