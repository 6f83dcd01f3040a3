import type { RunMeta } from '../types';
import { KeyValueTable } from './common';

// Shown elsewhere on the page, or bookkeeping of the store rather than facts of the run.
const HIDDEN = new Set(['steps', 'files', 'usage_counted_spans']);

/** Every metadata.yaml field of a run, folded by default. */
export function MetadataTable({ meta }: { meta: RunMeta }) {
  const entries = Object.entries(meta).filter(([key]) => !HIDDEN.has(key));
  return (
    <details class="all-fields">
      <summary>All metadata fields ({entries.length})</summary>
      <KeyValueTable entries={entries} render={(value) => <span class="mono">{value === null || value === undefined ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value)}</span>} />
    </details>
  );
}
