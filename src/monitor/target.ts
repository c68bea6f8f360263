import type { ClientOptions } from '../client/client.js';

/** One answer of the daemon's HTTP API. */
export interface MonitorResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * What the monitor needs of a daemon: its address (shown in the header), one
 * authenticated HTTP request, and where the bus client connects. The CLI
 * builds it from the daemon it found (`monitorTarget` in src/cli/monitor.ts),
 * so the monitor does not import the CLI.
 */
export interface MonitorTarget {
  readonly baseUrl: string;
  request<T = unknown>(method: string, path: string, timeoutMs: number): Promise<MonitorResponse<T>>;
  readonly bus: Pick<ClientOptions, 'url' | 'token' | 'stateDir'>;
}
