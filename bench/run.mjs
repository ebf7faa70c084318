/**
 * `npm run bench`: every benchmark in one run, printed as one table. Figures vary with the
 * machine; the README records a run with the date and the machine.
 */
import { existsSync } from 'node:fs';
import { ensureBuild, ensureDependencies } from '../scripts/setup.mjs';

ensureDependencies();
ensureBuild();
const { benchRecord } = await import('./record.mjs');
const { benchFlush } = await import('./flush.mjs');
const { benchColdStart } = await import('./cold-start.mjs');
const { benchBundleSize } = await import('./bundle-size.mjs');

const only = process.argv[2];
const suites = { record: benchRecord, flush: benchFlush, 'cold-start': benchColdStart, bundle: benchBundleSize };
suites.integrations = async () => (await import('./integrations.mjs')).benchIntegrations();
if (existsSync(new URL('./express-latency.mjs', import.meta.url))) {
  suites.express = async () => (await import('./express-latency.mjs')).benchExpressLatency();
}
suites.transport = async () => (await import('./edge.mjs')).benchTransport();
suites.encode = async () => (await import('./encode-stall.mjs')).benchEncodeStall();
suites['lambda-latency'] = async () => (await import('./lambda-latency.mjs')).benchLambdaLatency();
const rows = [];
for (const [name, fn] of Object.entries(suites)) {
  if (only && only !== name) continue;
  process.stderr.write(`running ${name}…\n`);
  const out = await fn();
  rows.push(...(Array.isArray(out) ? out : [out]));
}
const widths = ['name', 'bento', 'raw', 'result'].map((k) =>
  Math.max(k.length, ...rows.map((r) => String(r[k]).length)),
);
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(['benchmark', '@bentolabs/sdk', 'baseline', 'ratio']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line([r.name, r.bento, r.raw, r.result]));
console.log(`\nnode ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
