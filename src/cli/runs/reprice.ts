import { resolve } from 'node:path';
import { defaultConfig, loadConfigFile } from '../../config/index.js';
import { parseTimeBound } from '../../lib/index.js';
import { loadPriceBook, priceUsage } from '../../pricing/index.js';
import type { RunKind } from '../../model/index.js';
import type { PriceBook } from '../../pricing/index.js';
import {
  RunCatalog,
  listRunLocations,
  parseMetadata,
  readMetadataCost,
  readRunFile,
  renderMetadataFields,
  withMetadataCost,
  writeRunMetadata,
} from '../../store/index.js';
import type { StoredRunLocation } from '../../store/index.js';
import { configFileFor } from '../settings.js';

/** `paracle runs reprice` options as commander hands them over. */
export interface RepriceFlags {
  since?: string;
  dryRun?: boolean;
  runsDir?: string;
  json?: boolean;
}

/** What repricing did to one run. */
interface RepricedRun {
  run_id: string;
  kind: RunKind;
  cost_before: number;
  cost_after: number;
  cost_source: string;
}

/**
 * Recomputes the estimated part of each stored run's cost with today's price book (reported
 * costs are kept) and rewrites `metadata.yaml` atomically where the figures changed; with
 * `--dry-run` only reports. Runs are read from `--runs-dir`, else the configured runs dir.
 */
export async function repriceCommand(flags: RepriceFlags): Promise<void> {
  const file = configFileFor(undefined, process.env);
  const config = file ? await loadConfigFile(file) : defaultConfig();
  const runsDir = resolve(flags.runsDir ?? process.env.PARACLE_RUNS_DIR ?? config.runs.dir);
  const sinceMs = flags.since === undefined ? null : parseTimeBound(flags.since, Date.now());
  const book = await loadPriceBook({ overrides: config.pricing.overrides, dataFile: config.pricing.data_file });
  const changed: RepricedRun[] = [];
  let examined = 0;
  for (const location of await listRunLocations(runsDir)) {
    const result = await repriceRun(runsDir, location, { book, sinceMs, dryRun: flags.dryRun === true });
    if (result === 'skipped') continue;
    examined++;
    if (result !== null) changed.push(result);
  }
  if (!flags.dryRun && changed.length > 0) await refreshIndex(runsDir, changed);
  report({ examined, changed, dryRun: flags.dryRun === true, version: book.version }, flags.json === true);
}

/** The index answers `runs stats` with costs: it must see the rewritten figures. */
async function refreshIndex(runsDir: string, changed: readonly RepricedRun[]): Promise<void> {
  const catalog = await RunCatalog.open(runsDir);
  try {
    for (const run of changed) await catalog.upsert({ kind: run.kind, runId: run.run_id });
  } finally {
    catalog.close();
  }
}

interface RepriceWith {
  book: PriceBook;
  sinceMs: number | null;
  dryRun: boolean;
}

/** The run's change, null when its cost stays as it is, `skipped` when it is out of range. */
async function repriceRun(runsDir: string, location: StoredRunLocation, options: RepriceWith): Promise<RepricedRun | null | 'skipped'> {
  const { book, sinceMs, dryRun } = options;
  const text = await readRunFile(runsDir, location.kind, location.runId, 'metadata.yaml');
  if (text === null) return 'skipped';
  const fields = parseMetadata(text);
  const startedMs = typeof fields.started_at === 'string' ? Date.parse(fields.started_at) : NaN;
  if (Number.isNaN(startedMs) || (sinceMs !== null && startedMs < sinceMs)) return 'skipped';
  const before = readMetadataCost(fields);
  const cost = priceUsage(before.usageByModel, book, new Date(startedMs));
  const after = { costUsd: cost.costUsd, costSource: cost.costSource, usageByModel: cost.usageByModel, priceBookVersion: cost.priceBookVersion };
  const same = after.costUsd === before.costUsd && after.costSource === before.costSource && after.priceBookVersion === before.priceBookVersion;
  if (same) return null;
  if (!dryRun) await writeRunMetadata(location, renderMetadataFields(withMetadataCost(fields, after)));
  return { run_id: location.runId, kind: location.kind, cost_before: before.costUsd, cost_after: after.costUsd, cost_source: after.costSource };
}

function report(outcome: { examined: number; changed: RepricedRun[]; dryRun: boolean; version: string }, json: boolean): void {
  if (json) {
    const body = { price_book_version: outcome.version, dry_run: outcome.dryRun, examined: outcome.examined, changed: outcome.changed };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  for (const r of outcome.changed) {
    process.stdout.write(`${r.run_id}  ${r.kind.padEnd(8)}  ${r.cost_before} -> ${r.cost_after} USD  (${r.cost_source})\n`);
  }
  const verb = outcome.dryRun ? 'would change' : 'changed';
  process.stdout.write(`${outcome.examined} run(s) examined, ${outcome.changed.length} ${verb} (price book ${outcome.version}).\n`);
}
