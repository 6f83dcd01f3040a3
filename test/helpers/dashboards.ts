import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The dashboards shipped in grafana/dashboards. */
export const DASHBOARDS_DIR = resolve('grafana/dashboards');

/** The parts of a Grafana dashboard the tests look at. */
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query?: unknown; definition?: string; allValue?: string }[] };
  panels: Panel[];
}

/** One panel with its position and queries. */
export interface Panel {
  id: number;
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}

/** Every dashboard file, parsed, with its file name. */
export function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard }));
}

/** Grafana's interval variables as the tests evaluate them (the workload is seconds old). */
const BUILTINS: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '1h' };

/**
 * A target expression as Grafana would send it with every template variable at "All"
 * (`.*`, the dashboards' allValue) and the interval variables set to short windows.
 */
export function substituteVariables(expr: string): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    return BUILTINS[name] ?? '.*';
  });
}

/** Every panel target of every dashboard, labelled for test names. */
export function dashboardQueries(): { name: string; expr: string }[] {
  return loadDashboards().flatMap(({ file, dashboard }) =>
    dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((t) => ({ name: `${file} › ${panel.title} › ${t.refId}`, expr: substituteVariables(t.expr) })),
    ),
  );
}
