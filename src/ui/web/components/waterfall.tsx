import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatCost, formatMs, formatTokens } from '../format';
import type { SpanRow } from '../types';

/** Height of one row in pixels (the stylesheet's `.wf-row` agrees). */
const ROW_HEIGHT = 28;
/** Rows drawn beyond the visible ones on each side, so fast scrolling shows no gaps. */
const OVERSCAN = 12;
/** Ticks of the time axis. */
const TICKS = [0, 0.25, 0.5, 0.75, 1];

interface Props {
  rows: readonly SpanRow[];
  durationMs: number;
  selected: string | null;
  onSelect(spanId: string): void;
}

/**
 * A trace as a waterfall: one row per span in tree order, indented by depth, with a bar
 * placed on the trace's time axis. Subtrees fold. Only the rows in view are drawn, so a
 * trace of 100,000 spans scrolls as one of ten. Keyboard: arrows move (left/right fold and
 * unfold or go to the parent/first child), Home/End, Page Up/Down.
 */
export function Waterfall({ rows, durationMs, selected, onSelect }: Props) {
  const [folded, setFolded] = useState<ReadonlySet<string>>(new Set());
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(560);
  const box = useRef<HTMLDivElement>(null);
  const visible = useMemo(() => unfolded(rows, folded), [rows, folded]);
  const position = useMemo(() => new Map(visible.map((row, i) => [row.span_id, i])), [visible]);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Keep the selected row in view when it moves by keyboard.
  useEffect(() => {
    const element = box.current;
    const index = selected === null ? undefined : position.get(selected);
    if (!element || index === undefined) return;
    const top = index * ROW_HEIGHT;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight) element.scrollTop = top + ROW_HEIGHT - element.clientHeight;
  }, [selected, position]);

  const toggle = (spanId: string): void => {
    const next = new Set(folded);
    if (next.has(spanId)) next.delete(spanId);
    else next.add(spanId);
    setFolded(next);
  };

  const onKeyDown = (event: KeyboardEvent): void => {
    const index = selected === null ? -1 : (position.get(selected) ?? -1);
    const row = index >= 0 ? visible[index] : undefined;
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    const go = (i: number): void => {
      const target = visible[Math.max(0, Math.min(visible.length - 1, i))];
      if (target) onSelect(target.span_id);
    };
    switch (event.key) {
      case 'ArrowDown': go(index + 1); break;
      case 'ArrowUp': go(index - 1); break;
      case 'PageDown': go(index + page); break;
      case 'PageUp': go(index - page); break;
      case 'Home': go(0); break;
      case 'End': go(visible.length - 1); break;
      case 'ArrowRight':
        if (row && row.children > 0 && folded.has(row.span_id)) toggle(row.span_id);
        else if (row && row.children > 0) go(index + 1);
        break;
      case 'ArrowLeft':
        if (row && row.children > 0 && !folded.has(row.span_id)) toggle(row.span_id);
        else if (row?.parent_span_id && position.has(row.parent_span_id)) onSelect(row.parent_span_id);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(visible.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const scale = durationMs > 0 ? 100 / durationMs : 0;

  return (
    <div class="waterfall">
      <div class="wf-axis" aria-hidden="true">
        <span class="wf-axis-name">Span</span>
        <span class="wf-axis-track">
          {TICKS.map((t) => (
            <span key={t} class="wf-tick" style={{ left: `${t * 100}%` }}>
              {formatMs(t * durationMs)}
            </span>
          ))}
        </span>
      </div>
      <div
        ref={box}
        class="wf-scroll"
        role="tree"
        tabIndex={0}
        aria-label={`Spans of the trace: ${rows.length}. Arrow keys move, left and right fold.`}
        aria-activedescendant={selected === null ? undefined : `span-${selected}`}
        onKeyDown={onKeyDown}
        onFocus={() => selected === null && visible[0] && onSelect(visible[0].span_id)}
        onScroll={(event) => setScrollTop((event.currentTarget as HTMLDivElement).scrollTop)}
      >
        <div class="wf-space" style={{ height: `${visible.length * ROW_HEIGHT}px` }}>
          {visible.slice(first, last).map((row, i) => (
            <Row key={row.span_id} row={row} top={(first + i) * ROW_HEIGHT} scale={scale} selected={row.span_id === selected} folded={folded.has(row.span_id)} onSelect={onSelect} onToggle={toggle} />
          ))}
        </div>
      </div>
    </div>
  );
}

interface RowProps {
  row: SpanRow;
  top: number;
  scale: number;
  selected: boolean;
  folded: boolean;
  onSelect(spanId: string): void;
  onToggle(spanId: string): void;
}

function Row({ row, top, scale, selected, folded, onSelect, onToggle }: RowProps) {
  const llm = row.llm;
  const llmText = llm
    ? [llm.model ?? llm.provider ?? 'model?', `${formatTokens(llm.tokens_input)}→${formatTokens(llm.tokens_output)} tok`, llm.cost_usd === null ? null : `${formatCost(llm.cost_usd)}${llm.cost_source === 'estimated' ? ' est.' : ''}`]
        .filter(Boolean)
        .join(' · ')
    : null;
  const title = [row.name, `${formatMs(row.duration_ms)} at +${formatMs(row.offset_ms)}`, llmText, row.error ? `error: ${row.error}` : null].filter(Boolean).join('\n');
  return (
    <div
      id={`span-${row.span_id}`}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-selected={selected}
      aria-expanded={row.children > 0 ? !folded : undefined}
      class={`wf-row role-${row.role}${row.status === 'error' ? ' is-error' : ''}${selected ? ' is-selected' : ''}`}
      style={{ top: `${top}px` }}
      data-span-id={row.span_id}
      title={title}
      onClick={() => onSelect(row.span_id)}
    >
      <div class="wf-name" style={{ paddingLeft: `${row.depth * 14 + 4}px` }}>
        {row.children > 0 ? (
          <button
            type="button"
            tabIndex={-1}
            class="wf-fold"
            aria-label={folded ? 'Unfold' : 'Fold'}
            onClick={(event) => {
              event.stopPropagation();
              onToggle(row.span_id);
            }}
          >
            {folded ? '▸' : '▾'}
          </button>
        ) : (
          <span class="wf-fold-space" />
        )}
        {row.role !== 'other' ? <span class={`chip chip-${row.role}`}>{row.role}</span> : null}
        {row.status === 'error' ? <span class="wf-error-mark" aria-label="error">!</span> : null}
        <span class="wf-label">{row.name}</span>
        {llmText ? <span class="wf-llm" data-llm>{llmText}</span> : null}
      </div>
      <div class="wf-track">
        <span class="wf-bar" style={{ left: `${row.offset_ms * scale}%`, width: `${row.duration_ms * scale}%` }} />
        <span class="wf-duration" style={labelPlace(row.offset_ms * scale, (row.offset_ms + row.duration_ms) * scale)}>
          {formatMs(row.duration_ms)}
        </span>
      </div>
    </div>
  );
}

/** The duration label right of its bar, or left of it when the bar ends near the right edge. */
function labelPlace(startPercent: number, endPercent: number): Record<string, string> {
  return endPercent <= 80 ? { left: `${endPercent}%` } : { right: `${100 - startPercent}%`, marginRight: '4px' };
}

/** The rows not hidden inside a folded subtree, in tree order. */
function unfolded(rows: readonly SpanRow[], folded: ReadonlySet<string>): SpanRow[] {
  if (folded.size === 0) return rows as SpanRow[];
  const out: SpanRow[] = [];
  let hideBelow = Infinity;
  for (const row of rows) {
    if (row.depth > hideBelow) continue;
    hideBelow = folded.has(row.span_id) ? row.depth : Infinity;
    out.push(row);
  }
  return out;
}
