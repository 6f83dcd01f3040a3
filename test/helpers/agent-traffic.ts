import { setTimeout as sleep } from 'node:timers/promises';
import { SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { inSpan, type TestTracing } from './otel.js';

/** One model call of an agent run. */
export interface CallPlan {
  model: string;
  provider: string;
  input: number;
  output: number;
  answer: string;
  /** The call fails with this message (span status ERROR). */
  fails?: string;
  /** How long the call takes (default 0: as fast as the SDK goes). */
  latencyMs?: number;
}

/** An agent run as GenAI-instrumented code would emit it. */
export interface AgentPlan {
  agent: string;
  input: unknown;
  output?: unknown;
  calls: CallPlan[];
  /** A tool span between the calls. */
  tool?: string;
  /** Files attached as `paracle.artifact` events. */
  artifacts?: { name: string; content: string; mimeType?: string }[];
  /** Log records emitted inside the run (with its trace and span ids). */
  logs?: { logger: Logger; messages: string[] };
  sessionId?: string;
  /** Time the agent spends before its first call (its span starts that much earlier). */
  thinkMs?: number;
  /**
   * Called once the first call has ended, before the agent span ends: a test can hold the
   * run open (running) for as long as it likes.
   */
  hold?: () => Promise<void>;
}

/**
 * Emits one agent run through a real OTel SDK tracer: an `invoke_agent` span (GenAI
 * conventions, `paracle.input`/`paracle.output`) with `chat` spans carrying usage, an optional
 * `execute_tool` span, artifacts and log records. Resolves with the trace id once the agent
 * span has ended (export is up to the tracer's processor).
 */
export async function emitAgentRun(tracing: TestTracing, plan: AgentPlan): Promise<string> {
  const attributes: Record<string, string> = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.id': plan.agent,
    'gen_ai.agent.name': `${plan.agent[0]!.toUpperCase()}${plan.agent.slice(1)} Agent`,
    'paracle.input': JSON.stringify(plan.input),
  };
  if (plan.output !== undefined) attributes['paracle.output'] = JSON.stringify(plan.output);
  if (plan.sessionId) attributes['gen_ai.conversation.id'] = plan.sessionId;
  let traceId = '';
  await inSpan(tracing.tracer, `invoke_agent ${plan.agent}`, attributes, async (root) => {
    traceId = root.spanContext().traceId;
    if (plan.thinkMs) await sleep(plan.thinkMs);
    for (const message of plan.logs?.messages ?? []) {
      plan.logs!.logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: message, attributes: { agent: plan.agent } });
    }
    for (const [i, call] of plan.calls.entries()) {
      await chat(tracing, call).catch(() => undefined);
      if (i === 0 && plan.tool) await inSpan(tracing.tracer, `execute_tool ${plan.tool}`, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': plan.tool }, () => undefined);
      if (i === 0 && plan.hold) {
        await tracing.flush();
        await plan.hold();
      }
    }
    for (const artifact of plan.artifacts ?? []) {
      root.addEvent('paracle.artifact', {
        'artifact.name': artifact.name,
        'artifact.content': artifact.content,
        ...(artifact.mimeType ? { 'artifact.mime_type': artifact.mimeType } : {}),
      });
    }
    const failed = plan.calls.find((call) => call.fails);
    if (failed) root.setStatus({ code: SpanStatusCode.ERROR, message: failed.fails });
  });
  return traceId;
}

async function chat(tracing: TestTracing, call: CallPlan): Promise<void> {
  await inSpan(tracing.tracer, `chat ${call.model}`, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': call.provider,
    'gen_ai.request.model': call.model,
    'gen_ai.usage.input_tokens': call.input,
    'gen_ai.usage.output_tokens': call.output,
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: call.answer }] }]),
  }, async () => {
    if (call.latencyMs) await sleep(call.latencyMs);
    if (call.fails) throw new Error(call.fails);
  });
}

/** A workflow of steps (`paracle.step.id`), each running one agent with one call. */
export async function emitWorkflowRun(tracing: TestTracing, workflow: string, steps: { id: string; agent: string; model: string }[]): Promise<string> {
  let traceId = '';
  await inSpan(tracing.tracer, `invoke_workflow ${workflow}`, {
    'paracle.run.kind': 'workflow',
    'paracle.workflow.id': workflow,
    'paracle.input': JSON.stringify({ topic: 'observability' }),
    'paracle.output': JSON.stringify({ summary: 'done' }),
  }, async (root) => {
    traceId = root.spanContext().traceId;
    for (const step of steps) {
      await inSpan(tracing.tracer, `step ${step.id}`, {
        'paracle.step.id': step.id,
        'paracle.input': JSON.stringify({ step: step.id }),
        'paracle.output': JSON.stringify({ done: step.id }),
      }, async (span) => {
        span.addEvent('paracle.artifact', { 'artifact.name': `${step.id}.txt`, 'artifact.content': `notes of ${step.id}` });
        await emitAgentRun(tracing, { agent: step.agent, input: { step: step.id }, calls: [{ model: step.model, provider: 'anthropic', input: 200, output: 50, answer: step.id }] });
      });
    }
  });
  return traceId;
}
