#!/usr/bin/env node
// Writes config/ecosystem.schema.json from the built zod schema (run `npm run build` first).
import { writeFileSync } from 'node:fs';

const { configJsonSchema } = await import('../dist/src/config/json-schema.js');
const target = new URL('../config/ecosystem.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
