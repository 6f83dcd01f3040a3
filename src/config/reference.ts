import { CONFIG_ROOT } from './issues.js';
import { configJsonSchema, type JsonSchema } from './json-schema.js';

/** One documented key: its path below its section, type, default and description. */
interface KeyRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

const HEADER = `# Configuration reference

<!-- Generated from src/config/schema.ts by \`npm run docs\`; do not edit by hand. -->

Paracle reads the \`${CONFIG_ROOT}\` block of a YAML file (\`paracle serve --config FILE\`, default
\`.parac/project.yaml\` when present); other top-level keys belong to other tools and are ignored.
Every key is optional; an empty section means its defaults. Unknown keys are errors.
\`paracle config check [FILE]\` validates a file and prints every problem with its key path;
\`paracle config schema\` prints the JSON Schema below as one document, for editors' YAML
validation (e.g. \`# yaml-language-server: $schema=paracle.schema.json\` after
\`paracle config schema > paracle.schema.json\`). \`config/paracle.example.yaml\` spells out
every default.

The file is watched: a valid change to \`runs\` (except \`runs.dir\`, \`runs.backend\`, \`runs.s3\` and
\`runs.postgres\`) or \`access\` applies without
a restart (removing a token revokes it); other changes are logged as needing one; an invalid change is refused with a log line and the
old configuration stays.
`;

const properties = (schema: JsonSchema): Record<string, JsonSchema> => (schema.properties ?? {}) as Record<string, JsonSchema>;
const isObject = (schema: JsonSchema): boolean =>
  schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object'));
const isSection = (schema: JsonSchema): boolean => isObject(schema) && schema.properties !== undefined;

/** A JSON Schema's type, in words. */
function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(' or ');
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => `\`${String(v)}\``).join(', ');
  if (Array.isArray(schema.type)) return schema.type.map((type) => typeOf({ ...schema, type })).join(' or ');
  if (schema.type === 'null') return 'null';
  if (schema.type === 'integer' || schema.type === 'number') return numberType(schema);
  if (schema.type === 'string') return typeof schema.pattern === 'string' ? `string matching \`${schema.pattern}\`` : 'string';
  if (schema.type === 'array') return `list of ${plural(typeOf(schema.items as JsonSchema))}`;
  if (isObject(schema) && schema.additionalProperties && typeof schema.additionalProperties === 'object') return 'map';
  return String(schema.type ?? 'any');
}

function numberType(schema: JsonSchema): string {
  const name = schema.type === 'integer' ? 'integer' : 'number';
  if (schema.exclusiveMinimum === 0) return `${name} > 0`;
  if (typeof schema.minimum === 'number' && typeof schema.maximum === 'number') return `${name} ${schema.minimum}..${schema.maximum}`;
  return name;
}

const plural = (type: string): string => (/^(string|integer|number|object)\b/.test(type) ? type.replace(/^(\w+)/, '$1s') : type);

/** Rows for every key below `schema`, depth first, paths joined by dots from `prefix`. */
function rows(schema: JsonSchema, prefix: string): KeyRow[] {
  const required = (schema.required ?? []) as string[];
  return Object.entries(properties(schema)).flatMap(([name, child]) => {
    const key = `${prefix}${name}`;
    const row: KeyRow = {
      key,
      type: isSection(child) ? 'section' : typeOf(child),
      default: isSection(child) ? '' : required.includes(name) ? 'required' : child.default === undefined ? 'none' : `\`${JSON.stringify(child.default)}\``,
      description: typeof child.description === 'string' ? child.description : '',
    };
    if (isSection(child)) return [row, ...rows(child, `${key}.`)];
    // A block that may be null (`daemon.tls`): its keys apply when it is given.
    const block = Array.isArray(child.anyOf) ? (child.anyOf as JsonSchema[]).find(isSection) : undefined;
    if (block) return [{ ...row, type: 'section or null' }, ...rows(block, `${key}.`)];
    const items = child.items as JsonSchema | undefined;
    if (child.type === 'array' && items && isSection(items)) return [row, ...rows(items, `${key}[].`)];
    const values = child.additionalProperties as JsonSchema | undefined;
    if (values && typeof values === 'object' && isSection(values)) return [row, ...rows(values, `${key}.<id>.`)];
    return [row];
  });
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const sentence = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

/**
 * The configuration reference (docs/configuration.md): one table per section of
 * `paracle_config`, every key with its type, default and description, from the zod schema.
 * Throws when a key has no description, naming it: the reference would be silent about it.
 */
export function configReference(): string {
  const block = properties(configJsonSchema())[CONFIG_ROOT]!;
  const sections = Object.entries(properties(block)).map(([name, section]) => {
    const table = rows(section, '');
    const undescribed = table.filter((row) => row.description === '').map((row) => `${CONFIG_ROOT}.${name}.${row.key}`);
    if (undescribed.length > 0) {
      throw new Error(`${undescribed.join(', ')}: no description; add .describe('...') to the key in src/config/schema.ts`);
    }
    const lines = table.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
    return [`## ${name}`, '', sentence(String(section.description ?? '')), '', '| key | type | default | description |', '| --- | --- | --- | --- |', ...lines].join('\n');
  });
  return `${HEADER}\n${sections.join('\n\n')}\n`;
}
