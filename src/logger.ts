import { pino, type DestinationStream, type Logger } from 'pino';

// Header names that could carry a credential are censored wherever they appear in a log object.
const REDACT = ['*.authorization', '*.Authorization', '*["x-api-key"]', '*.headers.authorization', '*.headers["x-api-key"]'];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'rungate' }, redact: { paths: REDACT, censor: '[REDACTED]' } }, destination);
}
