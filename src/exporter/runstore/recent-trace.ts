import { viewSpans } from '../../codec/otlp/index.js';
import type { Span } from '../../model/index.js';
import type { RunFiles } from '../../store/index.js';

/** How long the spans of the last large trace written are kept for its late spans. */
export const RECENT_TRACE_TTL_MS = 60_000;

interface Kept {
  traceId: string;
  /** The trace.json they were written to, and its {@link RunFiles.stamp} then. */
  path: string;
  stamp: string;
  spans: readonly Span[];
}

/**
 * The spans of the last large trace a materializer wrote, left packed (views, ~180 bytes a
 * span), for the late spans of that trace to merge with. Without them a rewrite reads its
 * trace.json back: the text, its parse tree and the decoded spans (~1 KB a span) all at once,
 * the largest transient of writing a trace whose spans come in several requests. Measured
 * on a root with 200,000 children sent in four requests (written, then rewritten as each
 * late request came): the process peaked at 355–359 MiB reading back and 297–324 MiB with
 * these, and the run was final in 17–25 s instead of 28–32 s.
 *
 * They stand for the file only while it is the one written (same inode, size and
 * modification time): anything else that changed it since (maintenance, a restart, a move)
 * makes the rewrite read it back as before. They are dropped when a write of another trace
 * could be large (so two large traces are never held here together) and after
 * {@link RECENT_TRACE_TTL_MS} without a write of theirs; `dropped` is then told how many
 * spans went, so the worker can collect them.
 */
export class RecentTrace {
  private kept: Kept | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: RunFiles,
    private readonly dropped: (spans: number) => void = () => undefined,
    private readonly ttlMs = RECENT_TRACE_TTL_MS,
  ) {}

  /** The spans written to `path` for `traceId`, when that file is still as they left it; else null. */
  recall(traceId: string, path: string): readonly Span[] | null {
    const kept = this.kept;
    if (kept === null || kept.traceId !== traceId || kept.path !== path) return null;
    if (this.io.stamp(path) === kept.stamp) return kept.spans;
    this.forget();
    return null;
  }

  /** Keeps `spans`, just written to `path` for `traceId`, in place of what was kept. */
  remember(traceId: string, path: string, spans: readonly Span[]): void {
    // Not collected here: the worker collects once the whole write is garbage.
    this.clear();
    const stamp = this.io.stamp(path);
    if (stamp === null) return;
    // Spans that came decoded (late batches below the packing threshold) are packed too.
    this.kept = { traceId, path, stamp, spans: viewSpans(spans) };
    this.timer = setTimeout(() => this.forget(), this.ttlMs);
    this.timer.unref();
  }

  /** Drops what is kept unless it is `traceId`'s. */
  keepOnly(traceId: string): void {
    if (this.kept !== null && this.kept.traceId !== traceId) this.forget();
  }

  forget(): void {
    const spans = this.clear();
    if (spans > 0) this.dropped(spans);
  }

  /** Drops what is kept; returns how many spans that was. */
  private clear(): number {
    clearTimeout(this.timer);
    this.timer = undefined;
    const spans = this.kept?.spans.length ?? 0;
    this.kept = null;
    return spans;
  }
}
