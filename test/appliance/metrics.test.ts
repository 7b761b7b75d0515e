import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../appliance/metrics.ts';

describe('metrics registry', () => {
  it('renders counters, gauges, histograms and collectors in the Prometheus text format', () => {
    const registry = createMetricsRegistry();
    const requests = registry.counter('radius_requests_total', 'Requests by type.');
    requests.inc({ type: 'access' });
    requests.inc({ type: 'access' });
    requests.inc({ type: 'acct' }, 5);
    registry.gauge('appliance_workers', 'Worker threads.').set(2);
    const latency = registry.histogram('radius_latency_seconds', 'Latency.', [0.001, 0.01]);
    latency.observe(0.0005);
    latency.observe(0.005);
    latency.observe(1);
    registry.collect('appliance_spool_depth', 'Depth "now".\nSecond line.', 'gauge', () => [
      { value: 42 },
      { labels: { path: 'a"b\\c' }, value: 1 },
    ]);
    expect(registry.render()).toBe(
      [
        '# HELP radius_requests_total Requests by type.',
        '# TYPE radius_requests_total counter',
        'radius_requests_total{type="access"} 2',
        'radius_requests_total{type="acct"} 5',
        '# HELP appliance_workers Worker threads.',
        '# TYPE appliance_workers gauge',
        'appliance_workers 2',
        '# HELP radius_latency_seconds Latency.',
        '# TYPE radius_latency_seconds histogram',
        'radius_latency_seconds_bucket{le="0.001"} 1',
        'radius_latency_seconds_bucket{le="0.01"} 2',
        'radius_latency_seconds_bucket{le="+Inf"} 3',
        'radius_latency_seconds_sum 1.0055',
        'radius_latency_seconds_count 3',
        '# HELP appliance_spool_depth Depth "now".\\nSecond line.',
        '# TYPE appliance_spool_depth gauge',
        'appliance_spool_depth 42',
        'appliance_spool_depth{path="a\\"b\\\\c"} 1',
        '',
      ].join('\n'),
    );
  });

  it('refuses bad and duplicate names', () => {
    const registry = createMetricsRegistry();
    registry.counter('ok_total', 'x');
    expect(() => registry.counter('ok_total', 'x')).toThrow(/twice/);
    expect(() => registry.gauge('bad-name', 'x')).toThrow(/invalid/);
  });
});
