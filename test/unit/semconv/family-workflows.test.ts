import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { RunRecord, WorkflowRunRecord } from '../../../src/model/index.js';
import type { TraceBuilder } from '../../helpers/span-builder.js';
import { langSmithGraph, openInferenceGraph, traceloopWorkflow } from '../../fixtures/semconv/family-workflows.js';

function map(builder: TraceBuilder): RunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run');
  return record;
}

function mapWorkflow(builder: TraceBuilder): WorkflowRunRecord {
  const record = map(builder);
  if (record.kind !== 'workflow') throw new Error(`expected a workflow run, got ${record.kind}`);
  return record;
}

const stepSummary = (run: WorkflowRunRecord): unknown[] => run.steps.map(({ stepId, name, status, agentId }) => ({ stepId, name, status, agentId }));

describe('an OpenInference CHAIN root over two agents (CONVENTIONS.md §3, §5)', () => {
  const run = mapWorkflow(openInferenceGraph());

  it('is a workflow named from the root span, with its usage counted once', () => {
    expect(run).toMatchObject({ workflowId: 'langgraph', workflowName: 'LangGraph', status: 'completed', usage: { input: 300, output: 60 }, errorCount: 1, input: { topic: 'otel' } });
  });

  it('names steps from graph.node.id, fails the step holding the error, and lists the agents', () => {
    expect(stepSummary(run)).toEqual([
      { stepId: 'research', name: 'research', status: 'completed', agentId: 'researcher' },
      { stepId: 'write', name: 'write', status: 'failed', agentId: 'writer' },
    ]);
    expect(run.agentsUsed).toEqual(['researcher', 'writer']);
  });
});

describe('a LangGraph run exported by LangSmith (CONVENTIONS.md §3, §5)', () => {
  it('is a workflow: a graph run with node runs below it (langgraph_node)', () => {
    expect(map(langSmithGraph())).toMatchObject({ kind: 'workflow', workflowId: 'langgraph', usage: { input: 400, output: 40 } });
  });

  it('names steps from langgraph_node, numbering a node visited twice', () => {
    const run = mapWorkflow(langSmithGraph());
    expect(run).toMatchObject({ workflowId: 'langgraph', usage: { input: 400, output: 40 }, agentsUsed: [] });
    expect(stepSummary(run)).toEqual([
      { stepId: 'agent', name: 'agent', status: 'completed', agentId: null },
      { stepId: 'tools', name: 'tools', status: 'completed', agentId: null },
      { stepId: 'agent-2', name: 'agent', status: 'completed', agentId: null },
    ]);
  });
});

describe('a Traceloop workflow of tasks and an agent (CONVENTIONS.md §3–§5)', () => {
  const run = mapWorkflow(traceloopWorkflow());

  it('is a workflow identified by traceloop.workflow.name, with usage counted once', () => {
    expect(run).toMatchObject({ workflowId: 'release_notes', workflowName: 'release_notes', status: 'completed', usage: { input: 420, output: 90 }, errorCount: 1 });
    expect(run.usageByModel.map((u) => [u.provider, u.model, u.calls])).toEqual([['openai', 'gpt-4o-mini-2024-07-18', 2]]);
  });

  it('names steps from traceloop.entity.name with their statuses, outputs and agents', () => {
    expect(stepSummary(run)).toEqual([
      { stepId: 'collect_changes', name: 'collect_changes.task', status: 'completed', agentId: null },
      { stepId: 'writer', name: 'writer.agent', status: 'completed', agentId: 'writer' },
      { stepId: 'publish', name: 'publish.task', status: 'failed', agentId: null },
    ]);
    expect(run.steps.map((s) => s.output)).toEqual([{ collect_changes: 'done' }, { writer: 'done' }, { publish: 'done' }]);
    expect(run.agentsUsed).toEqual(['writer']);
  });
});
