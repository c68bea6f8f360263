import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { configJsonSchema } from '../../../src/config/json-schema.js';

const committedPath = new URL('../../../config/ecosystem.schema.json', import.meta.url);

describe('config/ecosystem.schema.json', () => {
  test('the committed JSON Schema matches the zod schema', () => {
    const committed = JSON.parse(readFileSync(committedPath, 'utf8')) as unknown;
    const fresh = JSON.parse(JSON.stringify(configJsonSchema())) as unknown;
    expect(
      committed,
      'config/ecosystem.schema.json is out of date with src/config/schema.ts: run `npm run build && npm run schema:json` and commit the result',
    ).toEqual(fresh);
  });

  test('durations and sizes are described and accept the written forms; defaults show as written', () => {
    const schema = configJsonSchema() as any;
    const timeout = schema.properties.components.additionalProperties.properties.stop.properties.timeout;
    expect(timeout.description).toMatch(/duration: 500ms, 10s/);
    expect(timeout.default).toBe('10s');
    expect(timeout.anyOf.map((s: { type: string }) => s.type)).toEqual(['string', 'number']);
    const memory = schema.properties.components.additionalProperties.properties.resources.properties.memory;
    expect(memory.properties.warning.description).toMatch(/size: 64KB, 512MB/);
  });

  test('built-in runners get typo checking and a required command in editors too', () => {
    const entry = (configJsonSchema() as any).properties.components.additionalProperties;
    expect(entry.if).toEqual({ properties: { plugin: { enum: ['process', 'pty', 'tmux'] } } });
    expect(entry.then.required).toEqual(['command']);
    expect(entry.then.propertyNames.enum).toContain('restart');
    expect(entry.then.propertyNames.enum).not.toContain('restrat');
  });
});
