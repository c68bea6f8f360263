import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A fixture process started as its own group leader, with its stdout as lines. */
export interface FixtureProc {
  child: ChildProcess;
  pid: number;
  lines: string[];
  /** Resolves with the first line (counting from `from`) that starts with `prefix`. */
  waitLine(prefix: string, from?: number, timeoutMs?: number): Promise<string>;
  send(line: string): void;
}

const started = new Set<number>();

export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

/** Starts a fixture detached (so it leads its own process group, like a component). */
export function startFixture(command: string, args: string[]): FixtureProc {
  const child = spawn(command, args, { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error(`could not start ${command} ${args.join(' ')}`);
  started.add(child.pid);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  return {
    child,
    pid: child.pid,
    lines,
    send: (line) => child.stdin!.write(`${line}\n`),
    waitLine(prefix, from = 0, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.slice(from).find((l) => l.startsWith(prefix));
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line starting with "${prefix}" from ${args.join(' ')} within ${timeoutMs} ms; got ${JSON.stringify(lines)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Kills the whole group of one fixture. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  started.delete(pid);
}

/** Kills every group started by this test file. */
export function killAll(): void {
  for (const pid of [...started]) killGroup(pid);
}

