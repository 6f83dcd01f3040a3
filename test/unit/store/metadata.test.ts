import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runTruncation } from '../../../src/model/index.js';
import { CorruptRunFileError, parseMetadata, parseTruncation } from '../../../src/store/index.js';
import { metadataFields, renderMetadata } from '../../../src/store/metadata.js';
import { agentRecord, stepRecord, workflowRecord } from './records.js';

const RUN_ID = '01KE9AZ5M0ABCDEFGHJKMNPQRS';

const AGENT_KEYS = [
  'run_id', 'agent_id', 'agent_name', 'started_at', 'completed_at', 'duration_seconds', 'status', 'exit_code',
  'provider', 'model', 'temperature', 'tokens_used', 'cost_usd', 'memory_mb', 'cpu_seconds', 'artifacts_count',
  'files_modified', 'error_count', 'kind', 'trace_id', 'service_name', 'tokens_input', 'tokens_output',
  'span_count', 'replay_of', 'session_id', 'tokens_cache_read', 'tokens_cache_write', 'tokens_reasoning', 'error',
  'incomplete', 'usage_counted_spans',
  'cost_source', 'price_book_version', 'usage_by_model', 'privacy', 'truncated',
];

const WORKFLOW_KEYS = [
  'run_id', 'workflow_id', 'workflow_name', 'started_at', 'completed_at', 'duration_seconds', 'status',
  'steps_total', 'steps_completed', 'steps_failed', 'steps_skipped', 'agents_used', 'tokens_total',
  'cost_total_usd', 'artifacts_count', 'error_count', 'kind', 'trace_id', 'service_name', 'tokens_input',
  'tokens_output', 'span_count', 'replay_of', 'session_id', 'tokens_cache_read', 'tokens_cache_write',
  'tokens_reasoning', 'error', 'incomplete',
  'usage_counted_spans', 'cost_source', 'price_book_version', 'usage_by_model', 'privacy', 'truncated', 'steps',
];

describe('cost extras', () => {
  it('lists providers and models only when more than one was used, in order of first use', () => {
    const group = agentRecord().usageByModel[0];
    if (group === undefined) throw new Error('fixture has a group');
    const usageByModel = [group, { ...group, provider: 'anthropic', model: 'claude-3-5-haiku' }, { ...group, model: 'gpt-4o' }];
    const parsed = parseMetadata(renderMetadata(RUN_ID, agentRecord({ usageByModel }), { artifactsCount: 0 }));
    expect(parsed.providers).toEqual(['openai', 'anthropic']);
    expect(parsed.models).toEqual(['gpt-4', 'claude-3-5-haiku', 'gpt-4o']);
  });
});

describe('renderMetadata for an agent run', () => {
  it('writes every field in the contract order with exact values', () => {
    const text = renderMetadata(RUN_ID, agentRecord(), { artifactsCount: 3 });
    const parsed = parseMetadata(text);
    expect(Object.keys(parsed)).toEqual(AGENT_KEYS);
    expect(parsed).toEqual({
      run_id: RUN_ID,
      agent_id: 'coder',
      agent_name: 'Coder Agent',
      started_at: '2026-01-06T10:30:00.000Z',
      completed_at: '2026-01-06T10:31:45.000Z',
      duration_seconds: 105,
      status: 'completed',
      exit_code: 0,
      provider: 'openai',
      model: 'gpt-4',
      temperature: 0.7,
      tokens_used: 2450,
      cost_usd: 0.0245,
      memory_mb: 128,
      cpu_seconds: 3.2,
      artifacts_count: 3,
      files_modified: 2,
      error_count: 0,
      kind: 'agent',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      service_name: 'coder-service',
      tokens_input: 1800,
      tokens_output: 650,
      tokens_cache_read: 200,
      tokens_cache_write: 0,
      tokens_reasoning: 50,
      span_count: 12,
      replay_of: null,
      session_id: null,
      error: null,
      incomplete: false,
      cost_source: 'reported',
      price_book_version: null,
      usage_counted_spans: ['00f067aa0ba902b7', '00f067aa0ba902b8'],
      usage_by_model: [
        {
          provider: 'openai', model: 'gpt-4', calls: 2, input: 1800, output: 650, cache_read: 200, cache_write: 0,
          reasoning: 50, reported_cost_usd: 0.0245, estimated_cost_usd: null,
        },
      ],
      privacy: {},
      truncated: null,
    });
  });

  it('writes the privacy counts per kind, never values', () => {
    const parsed = parseMetadata(renderMetadata(RUN_ID, agentRecord({ privacy: { email: 2, openai: 1 } }), { artifactsCount: 0 }));
    expect(parsed.privacy).toEqual({ email: 2, openai: 1 });
  });

  it('says what ingest limits and failed writes left out', () => {
    const truncated = runTruncation({ attribute_count: 12, spans_per_trace: 3 }, ['span attributes'], 'a writer failed');
    const parsed = parseMetadata(renderMetadata(RUN_ID, agentRecord({ truncated }), { artifactsCount: 0 }));
    expect(parsed.truncated).toEqual({
      attribute_count: 12,
      spans_per_trace: 3,
      left_out: ['span attributes'],
      note: expect.stringMatching(/^ingest limits or a failed write left part of this run out: 12 attributes past attribute_count_limit were dropped; 3 spans past spans_per_trace_limit were refused; span attributes could not be written \(a writer failed\)/),
    });
    expect(parseTruncation(parsed.truncated)).toEqual({ counts: { attribute_count: 12, spans_per_trace: 3 }, leftOut: ['span attributes'] });
  });

  it('keeps unknown fields as explicit nulls', () => {
    const record = agentRecord({
      agentName: null, exitCode: null, provider: null, model: null, temperature: null,
      memoryMb: null, cpuSeconds: null, serviceName: null,
    });
    const text = renderMetadata(RUN_ID, record, { artifactsCount: 0 });
    expect(text).toContain('\nagent_name: null\n');
    expect(text).toContain('\nmemory_mb: null\n');
    const parsed = parseMetadata(text);
    expect(Object.keys(parsed)).toEqual(AGENT_KEYS);
    for (const key of ['agent_name', 'exit_code', 'provider', 'model', 'temperature', 'memory_mb', 'cpu_seconds']) {
      expect(parsed[key]).toBeNull();
    }
  });

  it('has no completion time or duration while running', () => {
    const parsed = parseMetadata(renderMetadata(RUN_ID, agentRecord({ status: 'running' }), { artifactsCount: 0 }));
    expect(parsed.completed_at).toBeNull();
    expect(parsed.duration_seconds).toBeNull();
    expect(parsed.status).toBe('running');
  });

  it('keeps strings that look like other types as strings, for YAML 1.1 readers too', () => {
    const tricky = ['0123', 'true', 'null', 'yes', 'off', '1e3', '2026-01-06', '~', '- x', 'a: b', '#c', 'ü "q"\n2'];
    for (const value of tricky) {
      const text = renderMetadata(RUN_ID, agentRecord({ agentId: value, model: value }), { artifactsCount: 0 });
      expect(parseMetadata(text).agent_id).toBe(value);
      expect(parse(text, { version: '1.1' }).model).toBe(value);
    }
  });

  it('writes one field per line even for long strings', () => {
    const text = renderMetadata(RUN_ID, agentRecord({ agentName: 'word '.repeat(60), usageByModel: [] }), { artifactsCount: 0 });
    expect(text.split('\n').filter((line) => line.startsWith('agent_name:'))[0]).toContain('word word');
    expect(text.split('\n')).toHaveLength(AGENT_KEYS.length + 2 + 1);
  });

  it('rounds float noise and writes tiny numbers as decimals', () => {
    const noisy = renderMetadata(RUN_ID, agentRecord({ costUsd: 0.1 + 0.2 }), { artifactsCount: 0 });
    expect(noisy).toContain('\ncost_usd: 0.3\n');
    const tiny = renderMetadata(RUN_ID, agentRecord({ costUsd: 1.5e-7 }), { artifactsCount: 0 });
    expect(tiny).toContain('\ncost_usd: 0.00000015\n');
    expect(parseMetadata(tiny).cost_usd).toBe(1.5e-7);
    expect(parse(tiny, { version: '1.1' }).cost_usd).toBe(1.5e-7);
  });

  it('rounds durations to the microsecond', () => {
    const record = agentRecord({ startedAtMs: 1767695400000.1, completedAtMs: 1767695400300.2 });
    expect(parseMetadata(renderMetadata(RUN_ID, record, { artifactsCount: 0 })).duration_seconds).toBe(0.3001);
  });
});

describe('renderMetadata for a workflow run', () => {
  it('writes every field in the contract order with step counters and steps', () => {
    const parsed = parseMetadata(renderMetadata(RUN_ID, workflowRecord(), { artifactsCount: 2 }));
    expect(Object.keys(parsed)).toEqual(WORKFLOW_KEYS);
    expect(parsed).toMatchObject({
      run_id: RUN_ID,
      workflow_id: 'research',
      workflow_name: 'Research Flow',
      completed_at: '2026-01-06T10:31:00.500Z',
      duration_seconds: 60.5,
      status: 'failed',
      steps_total: 5,
      steps_completed: 3,
      steps_failed: 1,
      steps_skipped: 1,
      agents_used: ['planner', 'coder'],
      tokens_total: 1500,
      cost_total_usd: 0.3,
      artifacts_count: 2,
      error_count: 1,
      kind: 'workflow',
      usage_counted_spans: [],
      replay_of: null,
      cost_source: 'estimated',
      price_book_version: 'genai-prices@0.1.8',
      usage_by_model: [
        {
          provider: 'anthropic', model: 'claude-3-5-sonnet-20241022', calls: 3, input: 1000, output: 500, cache_read: 0,
          cache_write: 0, reasoning: 0, reported_cost_usd: null, estimated_cost_usd: 0.3,
        },
      ],
    });
    expect(parsed).not.toHaveProperty('providers');
    const steps = parsed.steps as Record<string, unknown>[];
    expect(steps).toHaveLength(5);
    expect(steps[3]).toEqual({
      step_id: 'lint', name: 'Lint', status: 'skipped', agent_id: null,
      started_at: '2026-01-06T10:30:01.000Z', duration_seconds: 0,
    });
    expect(Object.keys(steps[0] ?? {})).toEqual(['step_id', 'name', 'status', 'agent_id', 'started_at', 'duration_seconds']);
  });

  it('counts running steps in no counter and gives them no duration', () => {
    const record = workflowRecord({
      status: 'running',
      steps: [stepRecord(), stepRecord({ stepId: 'b', status: 'running', durationSeconds: 1 })],
    });
    const parsed = parseMetadata(renderMetadata(RUN_ID, record, { artifactsCount: 0 }));
    expect(parsed).toMatchObject({ steps_total: 2, steps_completed: 1, steps_failed: 0, steps_skipped: 0 });
    expect((parsed.steps as Record<string, unknown>[])[1]?.duration_seconds).toBeNull();
  });

  it('names steps by their sanitised directory name', () => {
    const record = workflowRecord({ steps: [stepRecord({ stepId: '..' })] });
    const steps = parseMetadata(renderMetadata(RUN_ID, record, { artifactsCount: 0 })).steps;
    expect((steps as Record<string, unknown>[])[0]?.step_id).toBe('step');
  });
});

describe('parseMetadata', () => {
  it.each(['- a\n- b\n', '"text"', '', 'a: [\n'])('refuses %j', (text) => {
    expect(() => parseMetadata(text)).toThrow(CorruptRunFileError);
  });
});

describe('metadataFields', () => {
  it('are exactly what metadata.yaml parses back to, so the index may use them instead of the file', () => {
    const records = [
      agentRecord({ costUsd: 0.1 + 0.2, temperature: 0.7 }),
      workflowRecord({ steps: [stepRecord(), stepRecord({ stepId: 'review', status: 'skipped' })] }),
    ];
    for (const record of records) {
      const runId = '01KE9DPF201VJF43589NKXSHJ6';
      const counts = { artifactsCount: 2 };
      expect(parseMetadata(renderMetadata(runId, record, counts))).toEqual(metadataFields(runId, record, counts));
    }
  });
});
