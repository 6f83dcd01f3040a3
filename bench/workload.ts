/**
 * Request bodies: unique agent runs, each one OTLP ExportTraceServiceRequest encoded once, up
 * front, by the real OTel protobuf serializer, so sending costs the benchmark almost nothing.
 */
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Prompt and completion text of one LLM call (about 1 KB, unique per call, with numbers, a
 * date and, in one call of ten, an email address), as GenAI instrumentations record them.
 */
function messages(trace: number, call: number): Record<string, string> {
  const id = `${trace}-${call}`;
  const question = `Ticket ${id}: summarise the quarterly report of 2026-01-06 for region ${call % 7}; revenue was ${1000 + trace} units and costs ${trace % 97}.5%. `;
  const contact = call % 10 === 1 ? ` Reply to analyst-${trace}@example.com when done.` : '';
  const input = [{ role: 'system', parts: [{ type: 'text', content: 'You are a careful financial analyst. Answer briefly and cite the figures you use. '.repeat(4) }] }, { role: 'user', parts: [{ type: 'text', content: question.repeat(3) + contact }] }];
  const output = [{ role: 'assistant', parts: [{ type: 'text', content: `Revenue for ${id} rose to ${1000 + trace} units; margins held near ${trace % 97}.5% through Q4. `.repeat(3) }] }];
  return { 'gen_ai.input.messages': JSON.stringify(input), 'gen_ai.output.messages': JSON.stringify(output) };
}

/**
 * Bodies of `perRequest` (1) traces each, `count` traces in all: a root `invoke_agent` span and `spans - 1` LLM calls under
 * it. With `open`, the root is started but never ended, so only the children are sent and the
 * daemon must hold the trace (as it does while an agent is still running). With `content`,
 * each LLM call carries its prompt and completion text (see {@link messages}).
 */
export function encodeTraces(count: number, spans: number, options: { open?: boolean; perRequest?: number; content?: boolean } = {}): Buffer[] {
  const perRequest = Math.max(1, options.perRequest ?? 1);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench');
  const bodies: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const root = tracer.startSpan('invoke_agent bench', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'bench', 'paracle.agent.id': `agent-${i % 20}` },
    });
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    for (let c = 1; c < spans; c++) {
      tracer
        .startSpan(
          'chat gpt-4o',
          {
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.request.model': 'gpt-4o',
              'gen_ai.usage.input_tokens': 100,
              'gen_ai.usage.output_tokens': 20,
              ...(options.content ? messages(i, c) : {}),
            },
          },
          ctx,
        )
        .end();
    }
    if (!options.open) root.end();
    if ((i + 1) % perRequest !== 0 && i + 1 < count) continue;
    const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans());
    if (!body) throw new Error('the OTel serializer returned nothing');
    bodies.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    memory.reset();
  }
  return bodies;
}
