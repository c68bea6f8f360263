export { createProbe } from './create-probe.js';
export { startProbeLoop, type HealthStatus, type ProbeLoop, type ProbeLoopOptions } from './probe-loop.js';
export { parseTcpTarget } from './tcp-probe.js';
export type { ExecProbeOptions } from './exec-probe.js';
export type { HealthConfig, Probe, ProbeResult } from './types.js';
