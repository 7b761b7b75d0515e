// Samples from the appliance's Prometheus endpoint (/metrics on its local HTTP port):
// evidence beside the load figures (drops by reason, spool commits, worker restarts).

/** `name{labels}` → value for every sample whose name starts with `prefix`; empty if unreachable. */
export async function scrapeMetrics(port: number | undefined, prefix = 'appliance_'): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  if (port === undefined) return samples;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) });
    for (const line of (await response.text()).split('\n')) {
      if (line.startsWith('#') || !line.startsWith(prefix)) continue;
      const space = line.lastIndexOf(' ');
      samples.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  } catch {
    // metrics are extra evidence, not required
  }
  return samples;
}

/** Non-zero differences of counters between two scrapes (histogram buckets left out). */
export function metricDiff(
  before: Map<string, number>,
  after: Map<string, number>,
  prefix: string,
): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [key, value] of after) {
    if (!key.startsWith(prefix) || key.includes('_bucket')) continue;
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) diff[key] = Math.round(delta * 1000) / 1000;
  }
  return diff;
}
