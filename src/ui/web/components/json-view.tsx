import { useState } from 'preact/hooks';

/** Strings longer than this are cut until asked for in full. */
const LONG_STRING = 280;
/** Entries of an object or array shown before "show more". */
const PAGE = 50;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A JSON value as an indented tree: levels below `openDepth` start folded, long strings and
 * long lists are cut with a button to see the rest. Children render only once unfolded, so
 * a huge or deeply nested document costs what is shown.
 */
export function JsonView({ value, openDepth = 2, label }: { value: unknown; openDepth?: number; label?: string }) {
  const [raw, setRaw] = useState(false);
  return (
    <div class="json" aria-label={label}>
      <div class="json-tools">
        <button type="button" class="link-button" onClick={() => setRaw(!raw)} aria-pressed={raw}>
          {raw ? 'Tree' : 'Raw JSON'}
        </button>
      </div>
      {raw ? <pre class="json-raw">{JSON.stringify(value, null, 2)}</pre> : <Node value={value as Json} depth={0} openDepth={openDepth} />}
    </div>
  );
}

function Node({ value, depth, openDepth, name }: { value: Json; depth: number; openDepth: number; name?: string }) {
  const key = name === undefined ? null : <span class="json-key">{name}: </span>;
  if (value === null || typeof value !== 'object') {
    return (
      <div class="json-line">
        {key}
        <Scalar value={value} />
      </div>
    );
  }
  return <Container value={value} depth={depth} openDepth={openDepth} keyNode={key} />;
}

function Container({ value, depth, openDepth, keyNode }: { value: Json[] | { [key: string]: Json }; depth: number; openDepth: number; keyNode: preact.JSX.Element | null }) {
  const entries: [string, Json][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const [open, setOpen] = useState(depth < openDepth && entries.length > 0);
  const [shown, setShown] = useState(PAGE);
  const [start, end] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const summary = Array.isArray(value) ? `${entries.length} item${entries.length === 1 ? '' : 's'}` : `${entries.length} key${entries.length === 1 ? '' : 's'}`;
  return (
    <div class="json-line">
      <button type="button" class="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)} disabled={entries.length === 0}>
        <span aria-hidden="true">{open ? '▾' : '▸'}</span>
        <span class="visually-hidden">{open ? 'Fold' : 'Unfold'}</span>
      </button>
      {keyNode}
      <span class="json-punct">{start}</span>
      {open ? (
        <div class="json-children">
          {entries.slice(0, shown).map(([k, v]) => (
            <Node key={k} name={Array.isArray(value) ? undefined : k} value={v} depth={depth + 1} openDepth={openDepth} />
          ))}
          {entries.length > shown ? (
            <button type="button" class="link-button" onClick={() => setShown(shown + PAGE * 4)}>
              Show {Math.min(entries.length - shown, PAGE * 4)} more of {entries.length - shown}
            </button>
          ) : null}
        </div>
      ) : (
        <span class="json-summary"> {summary} </span>
      )}
      <span class="json-punct">{end}</span>
    </div>
  );
}

function Scalar({ value }: { value: string | number | boolean | null }) {
  const [full, setFull] = useState(false);
  if (typeof value !== 'string') return <span class={`json-${value === null ? 'null' : typeof value}`}>{String(value)}</span>;
  const long = value.length > LONG_STRING;
  return (
    <span class="json-string">
      "{long && !full ? `${value.slice(0, LONG_STRING)}…` : value}"
      {long ? (
        <button type="button" class="link-button" onClick={() => setFull(!full)}>
          {full ? 'show less' : `show all ${value.length.toLocaleString()} characters`}
        </button>
      ) : null}
    </span>
  );
}

/**
 * Text from the API as a JSON tree when it parses, else as text; `null` text (the file does
 * not exist) reads as `empty`.
 */
export function JsonText({ text, empty, label }: { text: string | null; empty: string; label?: string }) {
  if (text === null) return <p class="muted">{empty}</p>;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return <pre class="text-preview">{text}</pre>;
  }
  if (value === null) return <p class="muted">{empty}</p>;
  return <JsonView value={value} label={label} />;
}
