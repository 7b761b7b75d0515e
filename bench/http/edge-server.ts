// What the HTTP benches share: the edge server in a child process (demo tenant, libSQL
// files in a temp dir), the autocannon loop over scenarios, and the report with load
// averages and each scenario's ratio to the first (trivial) one.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export type Scenario = {
  name: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Instead of the run's connection count, for a scenario whose every request is CPU-bound work. */
  connections?: number;
};
export type ScenarioResult = {
  scenario: string;
  /** The connections it ran with (set by runScenarios; benches with their own loop may leave it out). */
  connections?: number;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
};

const roundedLoad = () => loadavg().map((l) => Math.round(l * 100) / 100);

/** Starts `node edge/node.ts` on `port` and resolves once it listens. */
export async function startEdgeServer(port: string) {
  const loadBefore = roundedLoad();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-http-'));
  const server = spawn(process.execPath, ['edge/node.ts'], {
    // Load comes from one address and one account: the per-key, per-address and per-account
    // limits would answer most of it with 429 and measure nothing.
    env: {
      ...process.env,
      PORT: port,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      DEMO: '1',
      API_KEY_RATE_LIMIT: '100000000',
      LOGIN_RATE_LIMIT: '100000000',
      LOGIN_MAX_FAILURES: '100000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve());
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;

  /** Runs each scenario for `duration` seconds over `connections` connections, in order. */
  async function runScenarios(
    scenarios: Scenario[],
    options: { duration: number; connections: number },
  ): Promise<ScenarioResult[]> {
    const results = [];
    for (const s of scenarios) {
      const connections = s.connections ?? options.connections;
      const { headers, body, duration } = { ...s, duration: options.duration };
      const method = s.method ?? 'GET';
      const r = await autocannon({ url: base + s.path, method, headers, body, connections, duration });
      const row = {
        scenario: s.name,
        connections,
        req_per_s: Math.round(r.requests.average),
        p50_ms: r.latency.p50,
        p99_ms: r.latency.p99,
        non_2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
      };
      results.push(row);
      console.log(JSON.stringify(row));
    }
    return results;
  }

  /** Stops the server, removes its data and writes the report to `out`. */
  function finish(
    out: string,
    report: { command: string; note: string; results: ScenarioResult[] } & Record<string, unknown>,
  ) {
    const loadAfter = roundedLoad();
    server.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    const trivial = report.results[0]!.req_per_s;
    const full = {
      ...report,
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      load_average: { before: loadBefore, after: loadAfter },
      results: report.results.map((r) => ({
        ...r,
        ratio_to_trivial: Math.round((r.req_per_s / trivial) * 1000) / 1000,
      })),
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(out, `${JSON.stringify(full, null, 2)}\n`);
    console.log(`saved ${out}`);
  }

  return { base, dataDir, pid: server.pid!, runScenarios, finish };
}
