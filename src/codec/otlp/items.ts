/**
 * Where both decoders put what they read: resource blocks of scope blocks of items, which
 * get their shared origin once the whole resource block is read (a block's resource may
 * come after its items on the wire), and the items with unusable ids, counted for the
 * `partial_success`.
 */
import type { InstrumentationScope, LogRecord, Origin, Resource, Span, TruncationCounts } from '../../model/index.js';
import { addTruncations } from '../../model/index.js';
import { Rejections, type ItemNoun } from './rejections.js';

/** One ResourceSpans / ResourceLogs as read: `resource` null when absent. */
export interface ResourceBlock {
  resource: Resource | null;
  schemaUrl: string;
  scopes: ScopeBlock[];
  /** What the limits cut from the resource's attributes. */
  cuts: TruncationCounts;
}

/** One ScopeSpans / ScopeLogs as read. */
export interface ScopeBlock {
  scope: InstrumentationScope | null;
  schemaUrl: string;
  items: (Span | LogRecord)[];
  /** What the limits cut from the scope's attributes. */
  cuts: TruncationCounts;
}

/** What a decoder tells the collector. */
export interface ItemSink {
  /** The position of the next item in the request (kept or rejected), from 0. */
  nextIndex(): number;
  reject(label: string, problem: string): void;
  /** A whole resource block has been read. */
  block(block: ResourceBlock): void;
}

/** Collects one request's items in request order; see the module comment. */
export class ItemCollector<T extends Span | LogRecord> implements ItemSink {
  readonly items: T[] = [];
  readonly rejections: Rejections;
  private index = 0;

  constructor(noun: ItemNoun) {
    this.rejections = new Rejections(noun);
  }

  nextIndex(): number {
    return this.index++;
  }

  reject(label: string, problem: string): void {
    this.rejections.add(label, problem);
  }

  block(block: ResourceBlock): void {
    const resource = block.resource ?? { attributes: [], droppedAttributesCount: 0 };
    let blockCuts: TruncationCounts | null = Object.keys(block.cuts).length > 0 ? block.cuts : null;
    for (const scopeBlock of block.scopes) {
      const scope = scopeBlock.scope ?? { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
      const origin: Origin = { resource, resourceSchemaUrl: block.schemaUrl, scope, scopeSchemaUrl: scopeBlock.schemaUrl };
      const items = scopeBlock.items;
      for (const item of items) {
        item.origin = origin;
        this.items.push(item as T);
      }
      // What was cut from a shared resource or scope is told once, with the first item that has it.
      const first = items[0];
      if (first === undefined) continue;
      const scopeCuts = Object.keys(scopeBlock.cuts).length > 0 ? scopeBlock.cuts : null;
      if (blockCuts !== null || scopeCuts !== null) {
        first.truncated = addTruncations(addTruncations({ ...first.truncated }, blockCuts ?? undefined), scopeCuts ?? undefined);
        blockCuts = null;
      }
    }
  }
}
