/**
 * Structured log lines, one JSON object per line (CloudWatch Logs Insights reads them).
 * Secrets are never passed here: callers log ids, not webhooks.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(service: string, sink: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const write = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    // Read per line: the local stack sets LOG_LEVEL after the handlers are imported.
    if (order[level] < (order[process.env.LOG_LEVEL as Level] ?? order.info)) return;
    sink(JSON.stringify({ level, time: new Date().toISOString(), service, message, ...fields }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { errorName: error.name, errorMessage: error.message } : { errorMessage: String(error) };
}
