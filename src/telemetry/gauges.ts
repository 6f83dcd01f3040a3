import { Gauge, type Registry, type RegistryContentType } from 'prom-client';
import type { RunKind, StorePlace, StoreSize } from '../model/index.js';

/** A run currently written as running (one per trace). */
export interface RunningRun {
  kind: RunKind;
  /** The agent_id or workflow_id. */
  id: string;
}

/** What the scraped gauges read; each source is installed by the component that knows. */
export interface GaugeSources {
  tracesInFlight: () => number;
  runsRunning: () => Iterable<RunningRun>;
  /** What the store holds, read when scraped (null: unknown, the gauges keep their values). */
  storeSize: () => Promise<StoreSize | null>;
}

const PLACES: readonly StorePlace[] = ['live', 'archive'];
const KINDS: readonly RunKind[] = ['agent', 'workflow'];

/**
 * Registers the gauges that mirror state. Their values are computed in `collect()` on each
 * scrape from `sources`, so no component has to keep them current. `boundId` maps an id to
 * its reported label value.
 */
export function defineGauges(registry: Registry<RegistryContentType>, sources: GaugeSources, boundId: (kind: RunKind, id: string) => string): void {
  const registers = [registry];
  // Ids once seen running stay as 0, so a panel shows "none running" rather than no data.
  const seenRunning = new Map<string, RunningRun>();
  const runsRunning: Gauge<'kind' | 'id'> = new Gauge({
    name: 'paracle_runs_running',
    help: 'Runs currently written as running, by kind and agent or workflow id.',
    labelNames: ['kind', 'id'],
    registers,
    collect: () => {
      const counts = new Map<string, number>();
      for (const key of seenRunning.keys()) counts.set(key, 0);
      for (const run of sources.runsRunning()) {
        const labels = { kind: run.kind, id: boundId(run.kind, run.id) };
        const key = `${labels.kind}\n${labels.id}`;
        seenRunning.set(key, labels);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, count] of counts) runsRunning.set(seenRunning.get(key) as RunningRun, count);
    },
  });
  const inFlight: Gauge = new Gauge({
    name: 'paracle_traces_in_flight',
    help: 'Traces held by the assembler, not yet written as final.',
    registers,
    collect: () => inFlight.set(sources.tracesInFlight()),
  });
  const storeGauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (gauge: Gauge<L>, size: StoreSize) => void): void => {
    const gauge: Gauge<L> = new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect: async () => {
        const size = await sources.storeSize();
        if (size) fill(gauge, size);
      },
    });
  };
  storeGauge('paracle_store_runs', 'Run directories in the store, by kind and place (live or archive).', ['kind', 'place'], (gauge, size) => {
    for (const place of PLACES) for (const kind of KINDS) gauge.set({ kind, place }, size.runs[place][kind]);
  });
  storeGauge('paracle_store_bytes', 'Bytes of run files on disk, by place (live or archive).', ['place'], (gauge, size) => {
    for (const place of PLACES) gauge.set({ place }, size.bytes[place]);
  });
}
