import { z } from 'zod';
import { CONFIG_ROOT } from './issues.js';
import { paracleConfigSchema } from './schema.js';

/** A JSON Schema (draft 2020-12) document, as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** True for the schema `section()` builds (a pipe into a prefault): null or missing means defaults. */
function isSection(schema: z.core.$ZodType): boolean {
  const def = schema._zod.def;
  return def.type === 'pipe' && (def as z.core.$ZodPipeDef).out._zod.def.type === 'prefault';
}

/**
 * The JSON Schema of a config file (`paracle config schema`), for editors' YAML validation:
 * the `paracle_config` block as the zod schema accepts it (every key, its type, default and
 * description), other top-level keys left to their tools. Custom rules (cron expressions,
 * HOST:PORT, regular expressions) are strings here; `paracle config check` checks them.
 */
export function configJsonSchema(): JsonSchema {
  const block = z.toJSONSchema(paracleConfigSchema, {
    io: 'input',
    // Refinements (cron, HOST:PORT) have no JSON Schema form; they stay plain strings.
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (isSection(zodSchema as z.core.$ZodType)) jsonSchema.type = ['object', 'null'];
    },
  }) as JsonSchema;
  const { $schema, ...rest } = block;
  return {
    $schema,
    title: 'Paracle configuration',
    description: `Only the ${CONFIG_ROOT} block is read; other top-level keys belong to other tools.`,
    type: 'object',
    properties: { [CONFIG_ROOT]: { ...rest, description: 'the paracle settings; an empty block means every default' } },
  };
}
