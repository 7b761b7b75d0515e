// Where the billing run's time goes: reads a .cpuprofile written by the server under
// `node bench/billing/run.ts --cpu-prof DIR` and keeps the samples between the first and
// the last one with a frame from a file matching `--match` (default: the billing-run
// services). Async continuations lose their callers in a CPU profile, so a window, not a
// root function, is what isolates the run. Prints inclusive and self time per function,
// self time per file, and the idle share (the thread waiting: fsync, the disk).
// Usage: node bench/billing/profile-summary.ts FILE.cpuprofile [--match billing-runs/] [--top 40]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { match: { type: 'string', default: 'billing-runs/' }, top: { type: 'string', default: '40' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: node bench/billing/profile-summary.ts FILE.cpuprofile');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top);

const parent = new Map<number, number>();
const byId = new Map<number, Node>();
for (const node of profile.nodes) {
  byId.set(node.id, node);
  for (const child of node.children ?? []) parent.set(child, node.id);
}
const shortUrl = (url: string) =>
  url.replace(/^file:\/\/.*?\/(edge|db|node_modules)\//, '$1/').replace(/^node:/, 'node:');
const keyOf = (node: Node) =>
  `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;

const inclusive = new Map<string, number>();
const self = new Map<string, number>();
const selfByFile = new Map<string, number>();
const stackOf = (sampleId: number) => {
  const stack: Node[] = [];
  for (let id: number | undefined = sampleId; id !== undefined; id = parent.get(id)) stack.push(byId.get(id)!);
  return stack;
};
const matching = profile.samples.flatMap((sampleId, i) =>
  stackOf(sampleId).some((n) => n.callFrame.url.includes(values.match)) ? [i] : [],
);
const first = matching[0] ?? 0;
const last = matching.at(-1) ?? -1;
let inRoot = 0;
let idle = 0;
profile.samples.forEach((sampleId, i) => {
  if (i < first || i > last) return;
  const delta = profile.timeDeltas[i + 1] ?? 0;
  const stack = stackOf(sampleId);
  if (stack[0]!.callFrame.functionName === '(idle)') {
    idle += delta;
    return;
  }
  inRoot += delta;
  const leaf = stack[0]!;
  self.set(keyOf(leaf), (self.get(keyOf(leaf)) ?? 0) + delta);
  const leafFile = shortUrl(leaf.callFrame.url) || `(${leaf.callFrame.functionName})`;
  selfByFile.set(leafFile, (selfByFile.get(leafFile) ?? 0) + delta);
  for (const key of new Set(stack.map(keyOf))) inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
});

const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${ms(us)} ${((100 * us) / inRoot).toFixed(1).padStart(5)} %  ${key}`);
};
console.log(`window ${ms(inRoot + idle)}: ${ms(inRoot)} on the JS thread, ${ms(idle)} idle (waiting)`);
print('inclusive', inclusive);
print('self', self);
print('self by file', selfByFile);
