/** An issue before it is placed (src/config/issues.ts RawIssue, repeated here so the two modules do not import each other). */
interface RawIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * What a docker compose user writes, and what corral calls it: hints added to
 * the messages of `corral validate` (and of a refused reload).
 */

const NOT_CONTAINERS = 'corral runs commands, not images or containers';

/** Keys of a compose service (or file) that corral names differently or has no use for. */
const KEY_HINTS: Record<string, string> = {
  healthcheck: ' (did you mean "health"? e.g. health: { http: http://127.0.0.1:3000/health } or { tcp: 5432 } or { exec: "pg_isready" })',
  environment: ' (did you mean "env"? a mapping such as env: { PORT: "3000" })',
  working_dir: ' (did you mean "cwd"?)',
  entrypoint: ' (did you mean "command"?)',
  stop_signal: ' (did you mean stop: { signal: SIGTERM }?)',
  stop_grace_period: ' (did you mean stop: { timeout: 10s }?)',
  image: `: ${NOT_CONTAINERS}; write command: with what the container would run`,
  build: `: ${NOT_CONTAINERS}; build beforehand, or make the build a component that others depend_on with "completed"`,
  ports: `: ${NOT_CONTAINERS}, so there is nothing to publish; the process listens on its own port (pass it in env:, e.g. PORT: "3000")`,
  expose: `: ${NOT_CONTAINERS}, so there is nothing to expose; the process listens on its own port`,
  container_name: ': a component is named by its key under components:',
  volumes: `: ${NOT_CONTAINERS}; the process sees this machine's files (set cwd: for its directory)`,
  networks: `: ${NOT_CONTAINERS}; the processes share this machine's network`,
  deploy: ' (for several instances write replicas: N)',
  services: ' (did you mean "components"?)',
  test: ' (compose\'s healthcheck test: is exec: here, e.g. exec: "curl -f http://127.0.0.1:3000/")',
};

/** A hint for an unknown key, or undefined when it is not one compose users write. */
export function composeKeyHint(key: string): string | undefined {
  return Object.hasOwn(KEY_HINTS, key) ? KEY_HINTS[key] : undefined;
}

const RESTART_POLICIES: Record<string, string> = { 'unless-stopped': 'always', always: 'always', 'on-failure': 'on-failure', no: 'never' };
const CONDITIONS: Record<string, string> = { service_started: 'started', service_healthy: 'healthy', service_completed_successfully: 'completed' };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The issue's message in corral's words when its value is written as compose writes it (`restart: unless-stopped`). */
function hintFor(issue: RawIssue, data: Record<string, unknown>): string | undefined {
  const [top, name, key, dep] = issue.path as [unknown, unknown, unknown, unknown];
  if (top !== 'components' || typeof name !== 'string') return undefined;
  const entry = isRecord(data.components) ? data.components[name] : undefined;
  if (!isRecord(entry)) return undefined;
  if (key === 'restart' && issue.path.length === 3 && (typeof entry.restart === 'string' || entry.restart === false)) {
    const written = String(entry.restart === false ? 'no' : entry.restart);
    const [word, max] = written.split(':');
    const policy = RESTART_POLICIES[word!.trim()];
    const limit = word === 'on-failure' && max && /^\d+$/.test(max.trim()) ? `, max_restarts: ${max.trim()}` : '';
    return policy
      ? `restart is a mapping in corral: write restart: { policy: ${policy}${limit} } for compose's restart: ${written}`
      : `restart is a mapping in corral, e.g. restart: { policy: always } (policies: always, on-failure, never)`;
  }
  if (key === 'depends_on' && isRecord(entry.depends_on)) {
    const pairs = Object.entries(entry.depends_on).map(([name, value]) => {
      const written = isRecord(value) ? value.condition : value;
      return `${name}: ${typeof written === 'string' ? (CONDITIONS[written] ?? written) : 'started'}`;
    });
    // { condition: service_healthy } or the bare service_healthy: compose's names either way.
    const composeForm = Object.values(entry.depends_on).some((v) => {
      const written = isRecord(v) ? v.condition : v;
      return typeof written === 'string' && Object.hasOwn(CONDITIONS, written);
    });
    if (composeForm && (dep === undefined || typeof dep === 'string')) {
      return `write depends_on: { ${pairs.join(', ')} } (started, healthy and completed are compose's service_started, service_healthy and service_completed_successfully)`;
    }
  }
  return undefined;
}

/** Rewrites, in place, the messages of issues whose value is compose's way of writing it. */
export function addComposeHints(issues: RawIssue[], data: unknown): void {
  if (!isRecord(data)) return;
  for (const issue of issues) {
    const hint = hintFor(issue, data);
    if (hint !== undefined) issue.message = hint;
  }
}

/** A YAML syntax error's hint: a `: ` inside a plain value (`command: echo a: b`) starts a mapping. */
export function yamlErrorHint(code: string, lineText: string): string {
  if (code !== 'BLOCK_AS_IMPLICIT_KEY') return '';
  const m = /^(\s*(?:-\s+)?)([^:#\s][^:#]*):\s+(.*\S)\s*$/.exec(lineText);
  const example = m ? ` (${m[2]}: ${JSON.stringify(m[3])})` : '';
  return `: quote the value${example}, as a ": " inside an unquoted value starts a mapping`;
}
