import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** corral's version from package.json (works from src/ under tests and from dist/src/ when built). */
export function corralVersion(): string {
  if (cached) return cached;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'corral' && pkg.version) return (cached = pkg.version);
    } catch {}
  }
  return (cached = '0.0.0');
}
