// The RADIUS workers' counters in the main registry (/metrics): each worker writes its
// own SharedArrayBuffer (counters.ts); a scrape sums them.
import type { MetricsRegistry } from '../../metrics.ts';
import { LATENCY_BUCKETS, REQUEST_TYPES, sumCounters } from './counters.ts';
import type { Supervisor } from './supervisor.ts';

export function registerRadiusMetrics(
  metrics: MetricsRegistry,
  buffers: readonly SharedArrayBuffer[],
  supervisor: Supervisor,
): void {
  // A few hundred additions per collector and scrape: cheap enough to redo each time.
  const totals = () => sumCounters(buffers);
  const samples = (values: Record<string, number>, label: string) =>
    Object.entries(values).map(([name, value]) => ({ labels: { [label]: name }, value }));

  metrics.collect(
    'appliance_radius_requests_total',
    'RADIUS requests received, by type (counted before the client and signature checks).',
    'counter',
    () => samples(totals().requests, 'type'),
  );
  metrics.collect(
    'appliance_radius_accepts_total',
    'Access-Accepts sent, by how the subscriber was identified.',
    'counter',
    () => samples(totals().accepts, 'method'),
  );
  metrics.collect('appliance_radius_rejects_total', 'Access-Rejects sent, by reason.', 'counter', () =>
    samples(totals().rejects, 'reason'),
  );
  metrics.collect(
    'appliance_radius_accounting_responses_total',
    'Accounting-Responses sent (records durable), by Acct-Status-Type.',
    'counter',
    () => samples(totals().accounting, 'status'),
  );
  metrics.collect('appliance_radius_drops_total', 'Datagrams dropped without an answer, by reason.', 'counter', () =>
    samples(totals().drops, 'reason'),
  );
  metrics.collect(
    'appliance_radius_duplicates_total',
    'RFC 5080 duplicates: answered from the cache, or dropped while the original was in progress.',
    'counter',
    () => samples(totals().duplicates, 'outcome'),
  );
  metrics.collect(
    'appliance_radius_crypt_checks_total',
    'PAP passwords checked against crypt(3) hashes in the crypt pools.',
    'counter',
    () => [{ value: totals().crypt.checks }],
  );
  metrics.collect(
    'appliance_radius_crypt_batches_total',
    'Crypt pool tasks (each carries the checks of one event-loop turn).',
    'counter',
    () => [{ value: totals().crypt.batches }],
  );
  metrics.collectHistogram(
    'appliance_radius_request_seconds',
    'Time from a datagram to its reply, by request type.',
    LATENCY_BUCKETS,
    () => REQUEST_TYPES.map((type) => ({ labels: { type }, ...totals().latency[type] })),
  );
  metrics.collect('appliance_radius_workers_alive', 'RADIUS worker threads serving.', 'gauge', () => [
    { value: supervisor.status().filter((worker) => worker.alive).length },
  ]);
  metrics.collect(
    'appliance_radius_worker_restarts_total',
    'RADIUS worker threads restarted after dying.',
    'counter',
    () => [{ value: supervisor.restarts() }],
  );
}
