import { describe, expect, it } from 'vitest';
import { loadDashboards, type Panel } from '../../helpers/dashboards.js';

const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' };

/** Every value of a `datasource` key anywhere in `node`. */
function datasourceRefs(node: unknown, found: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) datasourceRefs(item, found);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'datasource') found.push(value);
      datasourceRefs(value, found);
    }
  }
  return found;
}

function overlaps(a: Panel['gridPos'], b: Panel['gridPos']): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

const dashboards = loadDashboards();

describe('grafana/dashboards', () => {
  it('holds the Runs, Tokens & cost and Daemon dashboards with unique uids', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['daemon.json', 'runs.json', 'tokens-cost.json']);
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[a-z0-9-]{1,40}$/);
  });

  describe.each(dashboards)('$file', ({ dashboard }) => {
    it('uses a schema of Grafana 10 or later and a datasource variable', () => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(37);
      expect(dashboard.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    });

    it('refers to a data source only through the variable', () => {
      const refs = datasourceRefs(dashboard);
      expect(refs.length).toBeGreaterThan(dashboard.panels.length);
      for (const ref of refs) expect(ref).toEqual(DATASOURCE_REF);
    });

    it('places panels inside the 24-column grid without overlaps, with unique ids', () => {
      const panels = dashboard.panels;
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const p of panels) {
        expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
        expect(p.gridPos.w * p.gridPos.h, p.title).toBeGreaterThan(0);
      }
      for (const [i, a] of panels.entries()) {
        for (const b of panels.slice(i + 1)) expect(overlaps(a.gridPos, b.gridPos), `${a.title} / ${b.title}`).toBe(false);
      }
    });

    it('gives every panel at least one query, and every query variable label_values with All as .*', () => {
      for (const p of dashboard.panels) expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
        expect(v.definition).toMatch(/^label_values\(/);
        expect(v.allValue).toBe('.*');
      }
    });
  });

  it('filters runs by $agent and $workflow, tokens and cost by $agent, $workflow and $model', () => {
    const names = (file: string): string[] =>
      dashboards.find((d) => d.file === file)!.dashboard.templating.list.map((v) => v.name);
    expect(names('runs.json')).toEqual(['datasource', 'agent', 'workflow']);
    expect(names('tokens-cost.json')).toEqual(['datasource', 'agent', 'workflow', 'model']);
  });
});
