import { REDACTIONS_ATTRIBUTE_PREFIX, type AssembledTrace, type KeyValue } from '../model/index.js';

/**
 * The run's `privacy` block (INTERFACE.md §2, §8): the redaction counts its spans, log
 * records, resources and scopes carry, summed per kind and sorted by kind. A resource or scope
 * is counted once however many spans share it, as `trace.json` holds it once.
 */
export function redactionCounts(trace: AssembledTrace): Record<string, number> {
  const counts = new Map<string, number>();
  const add = (attributes: readonly KeyValue[]): void => {
    for (const kv of attributes) {
      if (!kv.key.startsWith(REDACTIONS_ATTRIBUTE_PREFIX) || !('intValue' in kv.value)) continue;
      const kind = kv.key.slice(REDACTIONS_ATTRIBUTE_PREFIX.length);
      counts.set(kind, (counts.get(kind) ?? 0) + Number(kv.value.intValue));
    }
  };
  const shared = new Set<string>();
  const addShared = (attributes: readonly KeyValue[]): void => {
    if (!attributes.some((kv) => kv.key.startsWith(REDACTIONS_ATTRIBUTE_PREFIX))) return;
    const key = JSON.stringify(attributes);
    if (shared.has(key)) return;
    shared.add(key);
    add(attributes);
  };
  for (const item of [...trace.spans, ...trace.logs]) {
    add(item.attributes);
    addShared(item.origin.resource.attributes);
    addShared(item.origin.scope.attributes);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
