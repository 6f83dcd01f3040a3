import type { RunKind } from './run.js';

/** Where a run directory lives: the live store or `.archive/` (label `place`). */
export type StorePlace = 'live' | 'archive';

/** What the run store holds: run directories per place and kind, and bytes per place. */
export interface StoreSize {
  runs: Record<StorePlace, Record<RunKind, number>>;
  bytes: Record<StorePlace, number>;
}

/** The maintenance jobs of INTERFACE.md §6 (label `job`). */
export const MAINTENANCE_JOBS = ['retention', 'sampling', 'compression', 'archival'] as const;

/** One maintenance job. */
export type MaintenanceJob = (typeof MAINTENANCE_JOBS)[number];
