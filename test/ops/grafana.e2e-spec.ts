import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS, MetricDescriptor, prometheusSeriesNames } from '@keybridge/telemetry';

/**
 * ops/grafana/keybridge-dashboard.json against the metric registry (libs/telemetry/src/metrics/metric-names.ts):
 * every PromQL expression names only series the code registers, filters and groups only by their labels, and
 * every registered metric has a panel. A pure file test: renaming a metric without the dashboard fails here.
 */

interface Target {
  expr?: string;
  refId: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; datasource?: { uid?: string } }> };
}

const dashboard = JSON.parse(readFileSync(join(__dirname, '..', '..', 'ops', 'grafana', 'keybridge-dashboard.json'), 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));

const descriptors: MetricDescriptor[] = Object.values(METRICS);
/** Series name -> the metric it belongs to (histograms have three). */
const seriesOwner = new Map(descriptors.flatMap((m) => prometheusSeriesNames(m).map((s) => [s, m] as const)));
/** Labels Prometheus adds to every series, and the bucket label. */
const TARGET_LABELS = ['job', 'instance', 'otel_scope_name'];

const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'clamp_min', 'clamp_max', 'abs',
  'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'last_over_time', 'label_replace', 'vector', 'scalar', 'time',
]);

/** Drops strings, label matchers, ranges and grouping clauses; what is left are metric names, functions and numbers. */
function skeleton(expr: string): string {
  return expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
}

function metricNames(expr: string): string[] {
  const idents = skeleton(expr).match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return idents.filter((i) => !PROMQL_WORDS.has(i));
}

/** Label names in `metric{…}` matchers, per metric. */
function matchers(expr: string): Array<{ series: string; labels: string[] }> {
  return [...expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({
    series: m[1],
    labels: [...m[2].matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]),
  }));
}

function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()).filter(Boolean));
}

describe('Grafana dashboard (ops/grafana/keybridge-dashboard.json)', () => {
  it('is a current dashboard with a Prometheus datasource variable used by every panel and target', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toBeTruthy();
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const { target } of targets) expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const v of dashboard.templating.list.filter((t) => t.type === 'query')) expect(v.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('has unique panel ids and a PromQL expression in every target', () => {
    const ids = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { panel, target } of targets) expect([panel.title, target.expr?.trim() ? 'ok' : 'empty']).toEqual([panel.title, 'ok']);
  });

  it.each(targets.map(({ panel, target }) => [`${panel.title} / ${target.refId}`, target.expr ?? '']))(
    '%s names only registered series, with their labels',
    (_name, expr) => {
      const names = metricNames(expr);
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((n) => !seriesOwner.has(n))).toEqual([]);
      for (const { series, labels } of matchers(expr)) {
        const owner = seriesOwner.get(series);
        const allowed = new Set([...(owner?.labels ?? []), ...TARGET_LABELS, ...(series.endsWith('_bucket') ? ['le'] : [])]);
        expect(labels.filter((l) => !allowed.has(l))).toEqual([]);
      }
      const used = names.map((n) => seriesOwner.get(n) as MetricDescriptor);
      const groupable = new Set([...used.flatMap((m) => m.labels), ...TARGET_LABELS, 'le']);
      expect(groupingLabels(expr).filter((l) => !groupable.has(l))).toEqual([]);
    },
  );

  it('has a panel for every registered metric', () => {
    const referenced = new Set(targets.flatMap(({ target }) => metricNames(target.expr ?? '')).map((n) => seriesOwner.get(n)?.name));
    expect(descriptors.map((m) => m.name).filter((n) => !referenced.has(n))).toEqual([]);
  });

  it('would notice a drifted name (the checks can fail)', () => {
    expect(metricNames('sum by (pool) (rate(keybridge_operation_total{pool="a"}[5m]))')).toEqual(['keybridge_operation_total']);
    expect(seriesOwner.has('keybridge_operation_total')).toBe(false);
    expect(matchers('keybridge_hsm_sessions{vault="x"}')).toEqual([{ series: 'keybridge_hsm_sessions', labels: ['vault'] }]);
  });
});
