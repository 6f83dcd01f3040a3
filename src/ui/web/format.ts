/** How figures read on every page. */

/** A duration in milliseconds: `850 ms`, `12.3 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A duration in seconds (metadata's unit). */
export function formatSeconds(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '–' : formatMs(seconds * 1000);
}

const whole = new Intl.NumberFormat('en-US');

/** A token count: `950`, `12,345`; `compact` gives `12.3k`, `1.2M`. */
export function formatTokens(n: number | null | undefined, compact = false): string {
  if (n === null || n === undefined) return '–';
  if (!compact || n < 10_000) return whole.format(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** US dollars with the precision small LLM costs need: `$0.0123`, `$12.40`, `<$0.0001`. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '–';
  if (usd === 0) return '$0';
  if (Math.abs(usd) < 0.0001) return usd < 0 ? '>-$0.0001' : '<$0.0001';
  if (Math.abs(usd) < 1) return `${usd < 0 ? '-' : ''}$${Math.abs(usd).toFixed(4)}`;
  return `${usd < 0 ? '-' : ''}$${Math.abs(usd).toFixed(2)}`;
}

/** A byte size: `812 B`, `4.2 KiB`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A time as the reader's local date and time, seconds included. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** How long ago: `12 s ago`, `5 min ago`, `3 h ago`, else the date. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return iso;
  if (ms < 0) return 'just now';
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** A signed difference: `+12`, `-3`, `±0`. */
export function signed(n: number, format: (n: number) => string = String): string {
  if (n === 0) return '±0';
  return n > 0 ? `+${format(n)}` : `-${format(-n)}`;
}

/** The last characters of a run id: enough to tell runs apart in a list. */
export function shortId(runId: string): string {
  return runId.length > 10 ? `…${runId.slice(-8)}` : runId;
}
