import { useMemo, useState } from 'preact/hooks';
import { parseLogs } from '../logs-parse';
import { SelectField, TableHead } from './common';

/** Lines drawn at first; more on request. */
const PAGE = 500;

/** A run's logs as a filterable table; a span id jumps to that span in the waterfall. */
export function LogsView({ text, onSpan }: { text: string; onSpan?(spanId: string): void }) {
  const lines = useMemo(() => parseLogs(text), [text]);
  const [filter, setFilter] = useState('');
  const [level, setLevel] = useState('');
  const [shown, setShown] = useState(PAGE);
  const levels = useMemo(() => [...new Set(lines.map((l) => l.level))].sort(), [lines]);
  const needle = filter.toLowerCase();
  const matching = lines.filter((l) => (level === '' || l.level === level) && (needle === '' || l.raw.toLowerCase().includes(needle)));
  if (lines.length === 0) return <p class="muted">No log lines.</p>;
  return (
    <div class="logs">
      <div class="toolbar">
        <label>
          Filter <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <SelectField label="Level" value={level} options={[['', 'all'], ...levels]} onChange={setLevel} />
        <span class="muted" aria-live="polite">
          {matching.length} of {lines.length} lines
        </span>
      </div>
      <div class="table-scroll logs-scroll">
        <table class="log-table">
          <TableHead columns={['Time', 'Level', 'Span', 'Message']} />
          <tbody>
            {matching.slice(0, shown).map((line, i) => (
              <tr key={i} class={`level-${line.level.toLowerCase()}`}>
                <td class="mono nowrap">{line.time.slice(11, 23) || line.time}</td>
                <td>
                  <span class="level">{line.level}</span>
                </td>
                <td>
                  {line.spanId && onSpan ? (
                    <button type="button" class="link-button" onClick={() => onSpan(line.spanId)} title={`span ${line.spanId}`}>
                      {line.span || line.spanId}
                    </button>
                  ) : (
                    line.span
                  )}
                </td>
                <td class="log-message">
                  {line.message}
                  {line.attributes.map(([k, v]) => (
                    <span key={k} class="kv">
                      {k}={v}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {matching.length > shown ? (
        <button type="button" onClick={() => setShown(shown + PAGE * 4)}>
          Show more ({matching.length - shown} left)
        </button>
      ) : null}
    </div>
  );
}
