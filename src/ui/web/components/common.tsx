import type { ComponentChildren } from 'preact';
import { ApiError } from '../api';

/** A run's or step's status as a coloured word (colour is never the only cue). */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  const value = status ?? 'unknown';
  return (
    <span class={`badge status-${value}`} data-status={value}>
      {value === 'running' || value === 'pending' ? <span class="pulse" aria-hidden="true" /> : null}
      {value}
    </span>
  );
}

/** What went wrong, in one sentence; 403/404 read as what they mean here. */
export function ErrorBox({ error }: { error: Error }) {
  let text = error.message;
  if (error instanceof ApiError && error.status === 403) text = `Your token's role does not allow this (${error.message}).`;
  return (
    <p class="error-box" role="alert">
      {text}
    </p>
  );
}

/** A placeholder while something loads. */
export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A titled part of a page that can be folded away. */
export function Section({ title, id, open = true, extra, children }: { title: string; id: string; open?: boolean; extra?: ComponentChildren; children: ComponentChildren }) {
  return (
    <details class="section" id={id} open={open}>
      <summary>
        <h2>{title}</h2>
        {extra}
      </summary>
      <div class="section-body">{children}</div>
    </details>
  );
}

/** A term and its value in a metadata grid. */
export function Field({ label, children, mono }: { label: string; children: ComponentChildren; mono?: boolean }) {
  return (
    <div class="field">
      <dt>{label}</dt>
      <dd class={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}

/** A column of a {@link TableHead}: its title, right-aligned for figures with `num`. */
export type Column = string | { title: string; num?: boolean; hidden?: boolean };

/** A table's header row. */
export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => {
          const { title, num, hidden } = typeof column === 'string' ? { title: column, num: false, hidden: false } : column;
          return (
            <th key={title} scope="col" class={num ? 'num' : undefined}>
              {hidden ? <span class="visually-hidden">{title}</span> : title}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}

/** A labelled drop-down; `options` are values, or [value, label] pairs. */
export function SelectField({ label, name, value, options, onChange }: { label: string; name?: string; value: string; options: readonly (string | readonly [string, string])[]; onChange(value: string): void }) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map((option) => {
          const [v, text] = typeof option === 'string' ? [option, option] : option;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}

/** Names and values as a two-column table, the names in monospace. */
export function KeyValueTable({ entries, render }: { entries: readonly [string, unknown][]; render(value: unknown): ComponentChildren }) {
  return (
    <table class="attributes">
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row" class="mono">
              {key}
            </th>
            <td>{render(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
