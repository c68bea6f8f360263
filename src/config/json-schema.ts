import { z } from 'zod';
import { BUILTIN_RUNNERS, ConfigSchema } from './schema.js';
import { CORE_COMPONENT_KEYS } from './checks.js';

type JsonObject = Record<string, unknown>;

/**
 * The JSON Schema editors use for the config (`config/ecosystem.schema.json`),
 * generated from the zod schema so the two cannot disagree. It describes what
 * may be written (durations and sizes as strings), not the parsed result.
 */
export function configJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input' }) as JsonObject;
  const components = (schema.properties as JsonObject).components as JsonObject;
  const entry = components.additionalProperties as JsonObject;
  // The zod component is loose because plugins add their own keys; a built-in
  // runner has none, so tell editors to flag typos (`restrat`) there, as
  // `corral validate` does, and that those runners need a command.
  entry.if = { properties: { plugin: { enum: [...BUILTIN_RUNNERS] } } };
  entry.then = { required: ['command'], propertyNames: { enum: [...CORE_COMPONENT_KEYS] } };
  // `http: http://127.0.0.1:${PORT}/health` is a URL only once interpolated (src/config/env.ts): no `uri` format for editors to flag.
  const health = (entry.properties as Record<string, JsonObject>).health;
  const http = ((health?.properties ?? {}) as Record<string, JsonObject>).http;
  if (http) delete http.format;
  // Top-level `x-` keys are free for YAML anchors (see loadConfig).
  schema.patternProperties = { '^x-': {} };
  return {
    $schema: schema.$schema,
    title: 'corral config',
    description:
      'The corral ecosystem config (YAML or JSON). Generated from src/config/schema.ts by `npm run schema:json`; do not edit by hand.',
    ...schema,
  };
}
