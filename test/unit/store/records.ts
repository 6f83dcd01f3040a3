import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentRunRecord, Artifact, RunLogLine, StepRecord, WorkflowRunRecord } from '../../../src/model/index.js';

/** 2026-01-06T10:30:00.000Z */
export const START_MS = Date.UTC(2026, 0, 6, 10, 30, 0);

/** A complete, finished agent run; `overrides` replace top-level fields. */
export function agentRecord(overrides: Partial<AgentRunRecord> = {}): AgentRunRecord {
  return {
    kind: 'agent',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    serviceName: 'coder-service',
    startedAtMs: START_MS,
    completedAtMs: START_MS + 105_000,
    status: 'completed',
    incomplete: false,
    usage: { input: 1800, output: 650, cacheRead: 200, cacheWrite: 0, reasoning: 50, audioInput: 0, audioOutput: 0, audioCacheRead: 0 },
    usageCountedSpans: ['00f067aa0ba902b7', '00f067aa0ba902b8'],
    costUsd: 0.0245,
    costSource: 'reported',
    usageShares: [],
    usageByModel: [
      {
        provider: 'openai',
        model: 'gpt-4',
        usage: { input: 1800, output: 650, cacheRead: 200, cacheWrite: 0, reasoning: 50, audioInput: 0, audioOutput: 0, audioCacheRead: 0 },
        calls: 2,
        reportedCostUsd: 0.0245,
        estimatedCostUsd: null,
      },
    ],
    priceBookVersion: null,
    spanCount: 12,
    errorCount: 0,
    replayOf: null,
    sessionId: null,
    privacy: {},
    error: null,
    input: { task: 'fix the bug' },
    output: { text: 'done' },
    artifacts: [],
    logs: [],
    agentId: 'coder',
    agentName: 'Coder Agent',
    exitCode: 0,
    provider: 'openai',
    model: 'gpt-4',
    temperature: 0.7,
    memoryMb: 128,
    cpuSeconds: 3.2,
    filesModified: 2,
    ...overrides,
  };
}

/** One workflow step; `overrides` replace fields. */
export function stepRecord(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    stepId: 'plan',
    name: 'Plan',
    spanId: '1111111111111111',
    status: 'completed',
    agentId: 'planner',
    startedAtMs: START_MS + 1000,
    durationSeconds: 2.5,
    input: { goal: 'x' },
    output: { plan: ['a', 'b'] },
    artifacts: [],
    ...overrides,
  };
}

/** A finished workflow of five steps: three completed, one failed, one skipped. */
export function workflowRecord(overrides: Partial<WorkflowRunRecord> = {}): WorkflowRunRecord {
  return {
    kind: 'workflow',
    traceId: '5bf92f3577b34da6a3ce929d0e0e4737',
    serviceName: 'flow-service',
    startedAtMs: START_MS,
    completedAtMs: START_MS + 60_500,
    status: 'failed',
    incomplete: false,
    usage: { input: 1000, output: 500, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 },
    usageCountedSpans: [],
    costUsd: 0.1 + 0.2,
    costSource: 'estimated',
    usageShares: [],
    usageByModel: [
      {
        provider: 'anthropic',
        model: 'claude-3-5-sonnet-20241022',
        usage: { input: 1000, output: 500, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 },
        calls: 3,
        reportedCostUsd: null,
        estimatedCostUsd: 0.1 + 0.2,
      },
    ],
    priceBookVersion: 'genai-prices@0.1.8',
    spanCount: 20,
    errorCount: 1,
    replayOf: null,
    sessionId: null,
    privacy: {},
    error: null,
    input: { topic: 'otel' },
    output: null,
    artifacts: [],
    logs: [],
    workflowId: 'research',
    workflowName: 'Research Flow',
    agentsUsed: ['planner', 'coder'],
    steps: [
      stepRecord(),
      stepRecord({ stepId: 'code', name: 'Code', agentId: 'coder', spanId: '2222222222222222' }),
      stepRecord({ stepId: 'test', name: 'Test', status: 'failed', spanId: '3333333333333333' }),
      stepRecord({ stepId: 'lint', name: 'Lint', status: 'skipped', durationSeconds: 0, agentId: null }),
      stepRecord({ stepId: 'ship', name: 'Ship', spanId: '5555555555555555' }),
    ],
    ...overrides,
  };
}

/** An artifact with UTF-8 text content. */
export function textArtifact(name: string, text: string, modified = false): Artifact {
  return { name, content: new TextEncoder().encode(text), mimeType: 'text/plain', modified };
}

/** A log line at `START_MS + offsetMs`. */
export function logLine(offsetMs: number, overrides: Partial<RunLogLine> = {}): RunLogLine {
  return {
    timeUnixNano: (BigInt(START_MS + offsetMs) * 1_000_000n).toString(),
    severity: 'INFO',
    spanName: 'chat',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    message: 'hello',
    attributes: [],
    ...overrides,
  };
}

/** A fresh empty directory under the OS temp dir, and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'paracle-store-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What a synchronous call threw (undefined when it returned). */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}
