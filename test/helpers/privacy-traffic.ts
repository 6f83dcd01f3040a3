/**
 * Sends the privacy corpus (./privacy-corpus.ts) as an agent would, with the real OTel SDK and
 * exporters: each sample in one place of an agent run (a resource attribute, an OpenInference
 * flattened message, `gen_ai.input.messages`, a JSON tool argument, a log body, a span-event
 * artifact, the name of a span), and says what each place must hold afterwards.
 */
import { context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeExporter, makeLogExporter, type ExporterKind } from './otel.js';
import { replacedOf, type Sample } from './privacy-corpus.js';

/** Where a sample went, and what must stand there now. */
export interface Placement {
  sample: Sample;
  where: 'resource' | 'openinference' | 'gen_ai.input.messages' | 'json' | 'log' | 'artifact' | 'span-name';
  /** What must be stored there: an attribute's whole value, a log message, a span name, or an artifact's content. */
  expected: string;
  /** The attribute key, the artifact name or the span name's position. */
  key: string;
}

const PLACES: Placement['where'][] = ['resource', 'openinference', 'gen_ai.input.messages', 'json', 'log', 'artifact', 'span-name'];
// A sample known only by its key name needs a key: it goes to an attribute or a JSON object.
const KEYED_PLACES: Placement['where'][] = ['resource', 'openinference', 'json'];

/** The places of `samples` for run number `round` (each round moves every sample to another place). */
export function placements(samples: readonly Sample[], round: number): Placement[] {
  return samples.map((sample, i) => {
    const places = sample.key ? KEYED_PLACES : PLACES;
    const where = places[(i + round) % places.length]!;
    const with_ = (value: string): string => embed(where, sample, value);
    return { sample, where, expected: with_(replacedOf(sample)), key: keyOf(where, sample, i) };
  });
}

function keyOf(where: Placement['where'], sample: Sample, i: number): string {
  if (sample.key && where !== 'json') return sample.key;
  if (where === 'resource') return `app.contact.${i}`;
  if (where === 'openinference') return `llm.input_messages.${i}.message.content`;
  if (where === 'json') return `tool.arguments.${i}`;
  if (where === 'artifact') return `notes-${i}.txt`;
  return String(i);
}

/** The text that carries `value` at a place. */
function embed(where: Placement['where'], sample: Sample, value: string): string {
  if (sample.key) return where === 'json' ? JSON.stringify({ [sample.key]: value, limit: 3 }) : value;
  switch (where) {
    case 'resource':
      return `owner ${value}`;
    case 'openinference':
      return `Customer says: ${value}`;
    case 'gen_ai.input.messages':
      return JSON.stringify({ role: 'user', parts: [{ type: 'text', content: `please check ${value} now` }] });
    case 'json':
      return JSON.stringify({ query: value, limit: 3 });
    case 'log':
      return `login attempt by ${value}`;
    case 'artifact':
      return `# notes\ncontact: ${value}\n`;
    case 'span-name':
      return `lookup ${value}`;
  }
}

/**
 * Sends one agent run holding every placement over `kind`, spans and log records; resolves
 * with its trace id once everything is exported.
 */
export async function sendPlacements(kind: ExporterKind, baseUrl: string, places: readonly Placement[]): Promise<string> {
  const sent = (where: Placement['where']): Placement[] => places.filter((p) => p.where === where);
  const resource = resourceFromAttributes({
    'service.name': 'privacy-agent-service',
    ...Object.fromEntries(sent('resource').map((p) => [p.key, embed('resource', p.sample, p.sample.text)])),
  });
  const tracing = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(makeExporter(kind, baseUrl))] });
  const logging = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: makeLogExporter(kind, baseUrl), scheduledDelayMillis: 20 })] });
  const tracer = tracing.getTracer('privacy-tests', '1.0.0');
  const logger = logging.getLogger('privacy-tests', '1.0.0');

  const root = tracer.startSpan('invoke_agent privacy', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'paracle.agent.id': 'privacy-agent' } });
  const ctx = trace.setSpan(context.active(), root);
  const messages = sent('gen_ai.input.messages').map((p) => JSON.parse(embed('gen_ai.input.messages', p.sample, p.sample.text)) as unknown);
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 30,
        'gen_ai.input.messages': JSON.stringify(messages),
        ...Object.fromEntries([...sent('openinference'), ...sent('json')].map((p) => [p.key, embed(p.where, p.sample, p.sample.text)])),
      },
    },
    ctx,
  );
  context.with(trace.setSpan(ctx, llm), () => {
    for (const p of sent('log')) logger.emit({ body: embed('log', p.sample, p.sample.text), severityText: 'INFO', severityNumber: 9 });
  });
  for (const [i, p] of sent('artifact').entries()) {
    const content = embed('artifact', p.sample, p.sample.text);
    // Half as text, half as base64, as agents send both.
    const body = i % 2 === 0 ? { 'artifact.content': content } : { 'artifact.content_base64': Buffer.from(content).toString('base64') };
    llm.addEvent('paracle.artifact', { 'artifact.name': p.key, 'artifact.mime_type': 'text/plain', ...body });
  }
  llm.end();
  for (const p of sent('span-name')) tracer.startSpan(embed('span-name', p.sample, p.sample.text), { attributes: { 'tool.name': 'lookup' } }, ctx).end();
  root.end();
  await logging.forceFlush();
  await tracing.forceFlush();
  await logging.shutdown();
  await tracing.shutdown();
  return root.spanContext().traceId;
}
