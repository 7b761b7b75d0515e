// A small Prometheus registry (text exposition format 0.0.4): counters, gauges,
// histograms, and collectors that compute values at scrape time (spool depth, replica
// revision, or snapshots that worker threads report to the main thread).

export type Labels = Readonly<Record<string, string>>;
export type Sample = { labels?: Labels; value: number };
type MetricType = 'counter' | 'gauge' | 'histogram';

export type HistogramSample = { labels?: Labels; cumulative: readonly number[]; sum: number; count: number };

export type Counter = { inc(labels?: Labels, by?: number): void };
export type Gauge = { set(value: number, labels?: Labels): void };
export type Histogram = { observe(value: number, labels?: Labels): void };

export type MetricsRegistry = {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  /** `buckets` are upper bounds, ascending; +Inf is added. */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  /** Values computed when scraped. */
  collect(name: string, help: string, type: Exclude<MetricType, 'histogram'>, read: () => Sample[]): void;
  /**
   * A histogram computed when scraped (e.g. summed over worker threads); `cumulative[i]` counts values ≤ buckets[i].
   */
  collectHistogram(name: string, help: string, buckets: readonly number[], read: () => HistogramSample[]): void;
  render(): string;
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra !== undefined) pairs.push(extra);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelKey(labels: Labels | undefined): string {
  return JSON.stringify(Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

export function createMetricsRegistry(): MetricsRegistry {
  const sections = new Map<string, () => string>();

  const register = (name: string, help: string, type: MetricType, body: () => string[]) => {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    if (sections.has(name)) throw new Error(`metric ${name} is registered twice`);
    sections.set(name, () => [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, ...body()].join('\n'));
  };

  const histogramLines = (name: string, bounds: readonly number[], entry: HistogramSample) => [
    ...bounds.map(
      (bound, index) =>
        `${name}_bucket${formatLabels(entry.labels, ['le', formatValue(bound)])} ${entry.cumulative[index] ?? 0}`,
    ),
    `${name}_bucket${formatLabels(entry.labels, ['le', '+Inf'])} ${entry.count}`,
    `${name}_sum${formatLabels(entry.labels)} ${formatValue(entry.sum)}`,
    `${name}_count${formatLabels(entry.labels)} ${entry.count}`,
  ];

  const series = (name: string, help: string, type: 'counter' | 'gauge') => {
    const values = new Map<string, Sample>();
    register(name, help, type, () =>
      [...values.values()].map((sample) => `${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`),
    );
    return values;
  };

  return {
    counter(name, help) {
      const values = series(name, help, 'counter');
      return {
        inc(labels, by = 1) {
          const key = labelKey(labels);
          const current = values.get(key);
          values.set(key, { labels, value: (current?.value ?? 0) + by });
        },
      };
    },
    gauge(name, help) {
      const values = series(name, help, 'gauge');
      return { set: (value, labels) => values.set(labelKey(labels), { labels, value }) };
    },
    histogram(name, help, buckets) {
      const bounds = [...buckets].sort((a, b) => a - b);
      const values = new Map<string, { labels: Labels | undefined; counts: number[]; sum: number; count: number }>();
      register(name, help, 'histogram', () =>
        [...values.values()].flatMap((entry) => histogramLines(name, bounds, { ...entry, cumulative: entry.counts })),
      );
      return {
        observe(value, labels) {
          const key = labelKey(labels);
          let entry = values.get(key);
          if (entry === undefined) {
            entry = { labels, counts: bounds.map(() => 0), sum: 0, count: 0 };
            values.set(key, entry);
          }
          // Cumulative buckets: a value counts in every bucket whose bound it does not exceed.
          bounds.forEach((bound, index) => {
            if (value <= bound && entry !== undefined) entry.counts[index] = (entry.counts[index] ?? 0) + 1;
          });
          entry.sum += value;
          entry.count++;
        },
      };
    },
    collect(name, help, type, read) {
      register(name, help, type, () =>
        read().map((sample) => `${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`),
      );
    },
    collectHistogram(name, help, buckets, read) {
      const bounds = [...buckets].sort((a, b) => a - b);
      register(name, help, 'histogram', () => read().flatMap((entry) => histogramLines(name, bounds, entry)));
    },
    render() {
      return [...sections.values()].map((section) => section()).join('\n') + '\n';
    },
  };
}
