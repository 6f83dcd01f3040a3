import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeExporter, type ExporterKind } from '../helpers/otel.js';
import { makeSdkSpans } from '../helpers/otlp-payloads.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

const daemons: TestDaemon[] = [];
beforeAll(async () => {
  daemons.push(await startTestDaemon(), await startTestDaemon());
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

/** Exports `spans` with the real exporter of `kind` and returns the stored run's files. */
async function storeVia(kind: ExporterKind, d: TestDaemon, spans: ReadableSpan[]): Promise<{ metadata: string; trace: string; runId: string }> {
  const exporter = makeExporter(kind, d.endpoint(kind));
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  expect(result.code).toBe(ExportResultCode.SUCCESS);
  const [run] = await waitForRuns(d.runsDir, (runs) => runs.length === 1 && isFinal(runs[0]!));
  const read = (file: string): Promise<string> => readFile(join(run!.dir, file), 'utf8');
  return { metadata: await read('metadata.yaml'), trace: await read('trace.json'), runId: run!.runId };
}

describe('one pipeline, two transports', () => {
  it('stores the same spans sent over OTLP/HTTP and OTLP/gRPC as identical runs', async () => {
    const spans = makeSdkSpans('invoke_agent parity', 3, {
      'paracle.agent.id': 'parity',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
    });
    const [http, grpc] = [await storeVia('http-proto', daemons[0]!, spans), await storeVia('grpc', daemons[1]!, spans)];
    const withoutRunId = (text: string, runId: string): string => text.replace(runId, '<run id>');
    expect(withoutRunId(grpc.metadata, grpc.runId)).toBe(withoutRunId(http.metadata, http.runId));
    expect(grpc.metadata).toMatch(/^span_count: 4$/m);
    expect(grpc.trace).toBe(http.trace);
  });
});
