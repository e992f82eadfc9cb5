// pino for the worker, and Temporal's runtime logger forwarding into it (SDK and workflow logs end up in one stream).
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'provisioner' },
    // Never let secrets reach the logs, whatever object they travel in.
    redact: {
      paths: ['*.password', '*.token', '*.apiKey', '*.secret', '*.authorization', 'password', 'token'],
      censor: '[redacted]',
    },
  });
}

const temporalToPino: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;

/**
 * Routes the Temporal SDK's logs through pino and, given `metricsAddress` (host:port), serves the SDK's own metrics
 * there at `/metrics` in Prometheus's format (issue 15): workflow and activity executions, failures and latencies by
 * type, which are the provisioning saga's steps. The runtime can be installed once per process.
 */
export function installTemporalLogger(logger: Logger, opts: { metricsAddress?: string | undefined } = {}): void {
  if (installed) return;
  installed = true;
  const level: LogLevel = logger.level === 'trace' ? 'TRACE' : logger.level === 'debug' ? 'DEBUG' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      logger[temporalToPino[entry.level]]({ ...entry.meta, source: 'temporal' }, entry.message);
    }),
    ...(opts.metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              metricPrefix: 'temporal_',
              prometheus: { bindAddress: opts.metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true },
            },
          },
        }
      : {}),
  });
}
