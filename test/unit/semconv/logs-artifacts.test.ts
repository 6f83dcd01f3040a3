import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { AgentRunRecord, Artifact } from '../../../src/model/index.js';
import { artifactEvent, exceptionEvent, TRACE_ID, TraceBuilder } from '../../helpers/span-builder.js';
import { millisToNanos } from '../../../src/lib/index.js';

function mapAgent(builder: TraceBuilder): AgentRunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record?.kind !== 'agent') throw new Error('expected an agent run');
  return record;
}

const text = (a: Artifact): string => Buffer.from(a.content).toString('utf8');

/** An agent with events on two spans and log records before, between and after them. */
function eventfulAgent(): TraceBuilder {
  const builder = new TraceBuilder({ resource: { 'service.name': 'coder-service' } });
  const root = builder.span('invoke_agent coder', {
    endMs: 1000,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'coder' },
    events: [
      { name: 'plan.ready', atMs: 100, attributes: { steps: 2, 'plan.ok': true } },
      artifactEvent('report.md', '# Report', { 'artifact.mime_type': 'text/markdown', 'artifact.modified': true }, 900),
    ],
  });
  builder.span('execute_tool write', {
    parent: root,
    startMs: 200,
    endMs: 400,
    status: 'error',
    attributes: { 'gen_ai.operation.name': 'execute_tool' },
    events: [
      exceptionEvent('disk full', { type: 'IOError', atMs: 390 }),
      { name: 'paracle.artifact', atMs: 300, attributes: { 'artifact.name': 'bin/out.dat', 'artifact.content_base64': 'AAEC/w==' } },
    ],
  });
  builder.log({ atMs: 50, severityText: 'info', body: 'starting', attributes: { attempt: 1 } });
  builder.log({ atMs: 250, severityNumber: 13, body: { warning: 'slow disk' }, span: root });
  builder.log({ atMs: 1000, severityNumber: 21, eventName: 'agent.crash' });
  return builder;
}

describe('logs (CONVENTIONS.md §10)', () => {
  const builder = eventfulAgent();
  const [root, tool] = builder.spans;
  const run = mapAgent(builder);

  it('merges span events and log records by time', () => {
    expect(run.logs.map((l) => [l.timeUnixNano, l.severity, l.spanName, l.message])).toEqual([
      [millisToNanos(builder.at(50)), 'INFO', '', 'starting'],
      [millisToNanos(builder.at(100)), 'INFO', 'invoke_agent coder', 'plan.ready'],
      [millisToNanos(builder.at(250)), 'WARN', 'invoke_agent coder', '{"warning":"slow disk"}'],
      [millisToNanos(builder.at(300)), 'INFO', 'execute_tool write', 'paracle.artifact'],
      [millisToNanos(builder.at(390)), 'ERROR', 'execute_tool write', 'disk full'],
      [millisToNanos(builder.at(900)), 'INFO', 'invoke_agent coder', 'paracle.artifact'],
      [millisToNanos(builder.at(1000)), 'FATAL', '', 'agent.crash'],
    ]);
  });

  it('keeps ids and attributes as text, without artifact content or a repeated exception message', () => {
    expect(run.logs.map((l) => [l.traceId, l.spanId, l.attributes])).toEqual([
      [TRACE_ID, '', [['attempt', '1']]],
      [TRACE_ID, root?.spanId, [['steps', '2'], ['plan.ok', 'true']]],
      [TRACE_ID, root?.spanId, []],
      [TRACE_ID, tool?.spanId, [['artifact.name', 'bin/out.dat']]],
      [TRACE_ID, tool?.spanId, [['exception.type', 'IOError'], ['exception.stacktrace', 'IOError: disk full\n    at run (agent.js:1:1)']]],
      [TRACE_ID, root?.spanId, [['artifact.name', 'report.md'], ['artifact.mime_type', 'text/markdown'], ['artifact.modified', 'true']]],
      [TRACE_ID, '', []],
    ]);
  });
});

describe('artifacts (CONVENTIONS.md §1, §10)', () => {
  it('decodes UTF-8 and base64 content in event time order, with type and modified flag', () => {
    const run = mapAgent(eventfulAgent());
    expect(run.artifacts.map((a) => ({ name: a.name, bytes: [...a.content], mimeType: a.mimeType, modified: a.modified }))).toEqual([
      { name: 'bin/out.dat', bytes: [0, 1, 2, 255], mimeType: null, modified: false },
      { name: 'report.md', bytes: [...Buffer.from('# Report')], mimeType: 'text/markdown', modified: true },
    ]);
    expect(run.filesModified).toBe(1);
  });

  it('keeps names unsanitised, ignores events without a name, and lets a rewrite replace the content', () => {
    const builder = new TraceBuilder();
    builder.span('invoke_agent A', {
      endMs: 10,
      attributes: { 'gen_ai.operation.name': 'invoke_agent' },
      events: [
        artifactEvent('../../etc/passwd', 'not really', {}, 1),
        artifactEvent('notes.txt', 'v1', {}, 2),
        { name: 'paracle.artifact', atMs: 3, attributes: { 'artifact.content': 'orphan' } },
        artifactEvent('notes.txt', 'v2', {}, 4),
      ],
    });
    expect(mapAgent(builder).artifacts.map((a) => [a.name, text(a)])).toEqual([
      ['../../etc/passwd', 'not really'],
      ['notes.txt', 'v2'],
    ]);
  });

  it('reads a bytes-typed artifact.content as bytes', () => {
    const builder = new TraceBuilder();
    const span = builder.span('invoke_agent A', { attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    span.events.push({
      timeUnixNano: span.startTimeUnixNano,
      name: 'paracle.artifact',
      attributes: [
        { key: 'artifact.name', value: { stringValue: 'img.png' } },
        { key: 'artifact.content', value: { bytesValue: 'iVBORw==' } },
      ],
      droppedAttributesCount: 0,
    });
    expect([...(mapAgent(builder).artifacts[0]?.content ?? [])]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it('places workflow artifacts in the innermost step around the event, others in the run', () => {
    const builder = new TraceBuilder();
    const root = builder.span('wf', {
      endMs: 100,
      attributes: { 'paracle.run.kind': 'workflow', 'paracle.workflow.id': 'wf' },
      events: [artifactEvent('summary.md', 'all done', {}, 99)],
    });
    const step = builder.span('step a', { parent: root, startMs: 1, endMs: 50, attributes: { 'paracle.step.id': 'a' } });
    const agent = builder.span('invoke_agent x', { parent: step, startMs: 2, endMs: 40, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    builder.span('execute_tool t', { parent: agent, startMs: 3, endMs: 30, events: [artifactEvent('a.txt', 'from the tool', {}, 20)], attributes: { 'gen_ai.operation.name': 'execute_tool' } });
    const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
    if (record?.kind !== 'workflow') throw new Error('expected a workflow run');
    expect(record.artifacts.map((a) => a.name)).toEqual(['summary.md']);
    expect(record.steps.map((s) => [s.stepId, s.artifacts.map((a) => a.name), s.agentId])).toEqual([['a', ['a.txt'], 'invoke_agent-x']]);
  });
});
