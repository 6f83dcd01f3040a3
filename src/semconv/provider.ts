import type { Rule } from './fields.js';
import { textAt } from './read.js';

/**
 * Spellings of providers seen across instrumentations → the OTel well-known value
 * (CONVENTIONS.md §6). Null marks frameworks that instrumentations report in the provider
 * slot: they say nothing about the provider, so the next rule must answer.
 */
const ALIASES: ReadonlyMap<string, string | null> = new Map([
  ['az.ai.openai', 'azure.ai.openai'],
  ['azure-openai', 'azure.ai.openai'],
  ['az.ai.inference', 'azure.ai.inference'],
  ['vertex_ai', 'gcp.vertex_ai'],
  ['vertexai', 'gcp.vertex_ai'],
  ['google.vertex', 'gcp.vertex_ai'],
  ['gemini', 'gcp.gemini'],
  ['google.generative-ai', 'gcp.gemini'],
  ['bedrock', 'aws.bedrock'],
  ['amazon-bedrock', 'aws.bedrock'],
  ['aws', 'aws.bedrock'],
  ['mistralai', 'mistral_ai'],
  ['xai', 'x_ai'],
  // Framework names that instrumentations put in the provider slot (FRAMEWORKS: Strands,
  // Google ADK, Spring AI's ChatClient span, Microsoft Agent Framework, LlamaIndex, LangSmith).
  ['langchain', null],
  ['crewai', null],
  ['strands-agents', null],
  ['gcp.vertex.agent', null],
  ['spring_ai', null],
  ['microsoft.agent_framework', null],
  ['llama_index', null],
  ['llamaindex', null],
  ['unknown', null],
]);

/**
 * A provider name as the OTel well-known value (lower-cased, aliases mapped); undefined for
 * an empty name or a framework name that does not identify a provider.
 */
export function normaliseProvider(raw: string): string | undefined {
  const key = raw.trim().toLowerCase();
  if (key === '') return undefined;
  const alias = ALIASES.get(key);
  return alias === null ? undefined : (alias ?? key);
}

/** Rule: the provider in attribute `key`, normalised. */
export function providerRule(key: string): Rule<string> {
  return (span) => {
    const raw = textAt(span.attrs, key);
    return raw === undefined ? undefined : normaliseProvider(raw);
  };
}

/** OTel well-known provider values that contain a dot themselves. */
const DOTTED_WELL_KNOWN: ReadonlySet<string> = new Set([
  'azure.ai.inference',
  'azure.ai.openai',
  'aws.bedrock',
  'gcp.gemini',
  'gcp.gen_ai',
  'gcp.vertex_ai',
  'ibm.watsonx.ai',
]);

/**
 * A provider named as `{provider}.{api}` (the Vercel AI SDK's `ai.model.provider`, which it
 * also writes to `gen_ai.system`: `openai.chat`, `google.vertex.chat`): the longest dotted
 * prefix that is a known spelling or well-known value, else the part before the first `.`,
 * normalised.
 */
export function dottedProvider(raw: string): string | undefined {
  const whole = raw.trim().toLowerCase();
  if (ALIASES.has(whole)) return normaliseProvider(whole);
  const parts = whole.split('.');
  for (let n = parts.length; n > 1; n--) {
    const prefix = parts.slice(0, n).join('.');
    if (ALIASES.has(prefix) || DOTTED_WELL_KNOWN.has(prefix)) return normaliseProvider(prefix);
  }
  return normaliseProvider(parts[0] ?? '');
}

/** Rule: the `{provider}.{api}` value in attribute `key`, as {@link dottedProvider} reads it. */
export function dottedProviderRule(key: string): Rule<string> {
  return (span) => {
    const raw = textAt(span.attrs, key);
    return raw === undefined ? undefined : dottedProvider(raw);
  };
}

/**
 * Model-name prefixes of the big providers' own models, for calls whose instrumentation names
 * no provider (or only a framework): Google ADK's `call_llm`, LangChain fakes. Only names a
 * provider serves under its own brand; a model it does not recognise gives no provider.
 */
const MODEL_PROVIDERS: readonly [RegExp, string][] = [
  [/^(gpt-|chatgpt-|o[1345](-|$)|text-embedding-|davinci|babbage)/, 'openai'],
  [/^claude-/, 'anthropic'],
  [/^(gemini-|gemma-)/, 'gcp.gemini'],
  [/^(mistral-|mixtral-|codestral|ministral-|magistral-|pixtral-|devstral)/, 'mistral_ai'],
  [/^grok-/, 'x_ai'],
  [/^deepseek-/, 'deepseek'],
  [/^command(-|$)/, 'cohere'],
  // Bedrock model ids: `{vendor}.{model}`, with a cross-region prefix (`us.anthropic.claude-...`).
  [/^((us|eu|apac|global)\.)?(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer)\.[a-z0-9]/, 'aws.bedrock'],
];

/** The provider whose own model `model` is (by its name), else undefined. */
export function providerOfModel(model: string): string | undefined {
  const name = model.trim().toLowerCase();
  return MODEL_PROVIDERS.find(([pattern]) => pattern.test(name))?.[1];
}
