import { slug } from '../../lib/index.js';
import { StatusCode } from '../../model/index.js';
import type { Family } from '../fields.js';
import type { SpanNode } from '../tree.js';
import { numberRule, presenceRule, slugRule, textAt, textRule } from '../read.js';

/**
 * What a span name names: GenAI span names are `{operation} {subject}` (`invoke_workflow
 * trip_planner`, `invoke_node plan`), so the operation is dropped; other names stay whole.
 */
function subjectOfName(s: SpanNode): string {
  const op = textAt(s.own, 'gen_ai.operation.name');
  return op !== undefined && s.name.startsWith(`${op} `) && s.name.length > op.length + 1 ? s.name.slice(op.length + 1) : s.name;
}

/**
 * Rules from the general OpenTelemetry conventions (span status, `error.type`, resource
 * attributes, `process.exit.code`) and the span name: what every trace has, whichever
 * instrumentation produced it. They come last in most fields.
 */
export const generic = {
  fallbackAgentId: { serviceName: slugRule('service.name') },
  fallbackAgentName: { spanName: (s) => s.name || undefined },
  fallbackWorkflowId: { spanName: (s) => slug(subjectOfName(s)) || undefined },
  fallbackWorkflowName: { spanName: (s) => subjectOfName(s) || undefined },
  stepId: { spanName: (s) => subjectOfName(s) || undefined },
  errored: {
    status: (s) => (s.span.status.code === StatusCode.ERROR ? true : undefined),
    errorType: presenceRule('error.type'),
  },
  exitCode: { process: numberRule('process.exit.code') },
  serviceName: { resource: (s) => textAt(s.resource, 'service.name') },
  // `session.id` (OTel general conventions, OpenInference, Claude Code), `thread_id` (Opik users).
  session: { sessionId: textRule('session.id'), threadId: textRule('thread_id') },
  // Spans of the workflow role from a family without its own kind rule (Strands swarms, MAF, Mastra 0.x).
  kind: { workflowRole: (s) => (s.role === 'workflow' ? 'workflow' : undefined) },
} satisfies Family;
