import { attributeMap } from '../model/index.js';
import type { Artifact, KeyValue, SpanEvent } from '../model/index.js';
import { ARTIFACT_ATTR, ARTIFACT_EVENT } from './families/paracle.js';
import { booleanAt, textAt } from './read.js';
import { compareNanos, nanos, nearestIn } from './tree.js';
import type { SpanNode, SpanTree } from './tree.js';

/** Artifacts of a run, split between the run and the spans that own a folder (steps). */
export interface ArtifactPlacement {
  readonly run: Artifact[];
  readonly byOwner: ReadonlyMap<SpanNode, Artifact[]>;
}

/**
 * Turns `paracle.artifact` events into artifacts (CONVENTIONS.md §1, §10), in event time
 * order. An event inside the subtree of an owner (the innermost one) belongs to that owner,
 * any other to the run. An event without `artifact.name` is ignored, one without content
 * is an empty file, and a name given twice to one folder keeps its first place and its last
 * content, as rewriting a file would.
 */
export function placeArtifacts(tree: SpanTree, owners: ReadonlySet<SpanNode>): ArtifactPlacement {
  const events = tree.byStart
    .flatMap((node) => node.span.events.filter((e) => e.name === ARTIFACT_EVENT).map((event) => ({ node, event })))
    .map((e) => ({ ...e, timeNs: nanos(e.event.timeUnixNano) }))
    .sort((a, b) => compareNanos(a.timeNs, b.timeNs));
  const run = new Map<string, Artifact>();
  const byOwner = new Map<SpanNode, Map<string, Artifact>>();
  const ownerOf = nearestIn(tree, (n) => owners.has(n));
  for (const { node, event } of events) {
    const artifact = toArtifact(event);
    if (artifact === undefined) continue;
    const owner = ownerOf(node);
    let folder = run;
    if (owner !== null) {
      folder = byOwner.get(owner) ?? new Map<string, Artifact>();
      byOwner.set(owner, folder);
    }
    folder.set(artifact.name, artifact);
  }
  return {
    run: [...run.values()],
    byOwner: new Map([...byOwner].map(([owner, folder]) => [owner, [...folder.values()]])),
  };
}

function toArtifact(event: SpanEvent): Artifact | undefined {
  const attrs = attributeMap(event.attributes);
  const name = textAt(attrs, ARTIFACT_ATTR.name);
  if (name === undefined) return undefined;
  return {
    name,
    content: artifactContent(event.attributes),
    mimeType: textAt(attrs, ARTIFACT_ATTR.mimeType) ?? null,
    modified: booleanAt(attrs, ARTIFACT_ATTR.modified) === true,
  };
}

/** Content read from the raw value: a bytes attribute must not be mistaken for UTF-8 text. */
function artifactContent(attributes: readonly KeyValue[]): Uint8Array {
  const content = attributes.findLast((kv) => kv.key === ARTIFACT_ATTR.content)?.value;
  if (content !== undefined && 'stringValue' in content) return new Uint8Array(Buffer.from(content.stringValue, 'utf8'));
  if (content !== undefined && 'bytesValue' in content) return new Uint8Array(Buffer.from(content.bytesValue, 'base64'));
  const encoded = attributes.findLast((kv) => kv.key === ARTIFACT_ATTR.contentBase64)?.value;
  if (encoded !== undefined && 'stringValue' in encoded) return new Uint8Array(Buffer.from(encoded.stringValue, 'base64'));
  return new Uint8Array(0);
}
