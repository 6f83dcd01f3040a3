import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';

/** One run directory as a test sees it. */
export interface StoredRun {
  kind: 'agent' | 'workflow';
  runId: string;
  dir: string;
  metadata: Record<string, unknown>;
}

const KIND_DIRS = { agent: 'agents', workflow: 'workflows' } as const;

/** Every run directory with a metadata.yaml under `runsDir`. */
export async function listRuns(runsDir: string): Promise<StoredRun[]> {
  const runs: StoredRun[] = [];
  for (const kind of ['agent', 'workflow'] as const) {
    const base = join(runsDir, KIND_DIRS[kind]);
    const ids = await readdir(base).catch(() => [] as string[]);
    for (const runId of ids) {
      const dir = join(base, runId);
      const text = await readFile(join(dir, 'metadata.yaml'), 'utf8').catch(() => null);
      if (text !== null) runs.push({ kind, runId, dir, metadata: parse(text) as Record<string, unknown> });
    }
  }
  return runs.sort((a, b) => a.runId.localeCompare(b.runId));
}

/** True for a run that is no longer `running`. */
export function isFinal(run: StoredRun): boolean {
  return run.metadata.status !== 'running' && run.metadata.status !== 'pending';
}

/**
 * Waits until `predicate` holds for the store's runs (polling the disk, as a user would
 * with `ls`), or throws after `timeoutMs` with what was there.
 */
export async function waitForRuns(
  runsDir: string,
  predicate: (runs: StoredRun[]) => boolean,
  timeoutMs = 15_000,
): Promise<StoredRun[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await listRuns(runsDir);
    if (predicate(runs)) return runs;
    if (Date.now() > deadline) {
      const seen = runs.map((r) => `${r.kind}/${r.runId}:${String(r.metadata.status)}`).join(', ');
      throw new Error(`timed out waiting for runs; store has [${seen}]`);
    }
    await sleep(25);
  }
}

/**
 * Waits until the text of `path` satisfies `predicate` (a missing file reads as ''), or
 * throws after `timeoutMs` with what was there.
 */
export async function waitForText(path: string, predicate: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (predicate(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}; it holds:\n${text}`);
    await sleep(25);
  }
}

/** Waits for exactly `count` final runs. */
export function waitForFinalRuns(runsDir: string, count: number, timeoutMs?: number): Promise<StoredRun[]> {
  return waitForRuns(runsDir, (runs) => runs.length >= count && runs.filter(isFinal).length >= count, timeoutMs);
}

/** Reads a JSON file of a run. */
export async function readRunJson(run: StoredRun, file: string): Promise<unknown> {
  return JSON.parse(await readFile(join(run.dir, file), 'utf8')) as unknown;
}

/** Span ids and names in a run's trace.json. */
export async function traceSpans(run: StoredRun): Promise<{ spanId: string; name: string; traceId: string }[]> {
  const doc = (await readRunJson(run, 'trace.json')) as {
    resourceSpans: { scopeSpans: { spans: { spanId: string; name: string; traceId: string }[] }[] }[];
  };
  return doc.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
}
