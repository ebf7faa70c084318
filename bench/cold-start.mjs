/**
 * Cold start: import plus initialisation in a fresh Node process (what a new Lambda instance
 * pays), median of RUNS processes each, against the raw OpenTelemetry setup a user would
 * otherwise write (api + sdk-trace-base + OTLP proto exporter).
 */
import { fmt, median, timeInFreshProcesses, verdict } from './lib.mjs';
import { root } from '../scripts/setup.mjs';

const RUNS = 15;
const OPTS = "{ apiKey: 'bl_pk_bench_00000000', baseUrl: 'http://127.0.0.1:9', flushOnExit: false }";

const bento = `const t = performance.now();
const m = await import('@bentolabs/sdk');
m.init(${OPTS});
console.log(performance.now() - t);`;

const bentoLambda = `const t = performance.now();
const [m, l] = await Promise.all([import('@bentolabs/sdk'), import('@bentolabs/sdk/lambda')]);
m.init(${OPTS});
l.wrapHandler(async () => 'ok');
console.log(performance.now() - t);`;

const raw = `const t = performance.now();
const [api, base, proto] = await Promise.all([
  import('@opentelemetry/api'),
  import('@opentelemetry/sdk-trace-base'),
  import('@opentelemetry/exporter-trace-otlp-proto'),
]);
const exporter = new proto.OTLPTraceExporter({ url: 'http://127.0.0.1:9/v1/traces' });
const provider = new base.BasicTracerProvider({ spanProcessors: [new base.BatchSpanProcessor(exporter)] });
provider.getTracer('x');
console.log(performance.now() - t);`;

export async function benchColdStart() {
  const r = median(timeInFreshProcesses(raw, RUNS, root));
  const b = median(timeInFreshProcesses(bento, RUNS, root));
  const l = median(timeInFreshProcesses(bentoLambda, RUNS, root));
  return [
    {
      name: `cold start: import + init (median of ${RUNS} processes)`,
      bento: `${fmt(b)} ms`,
      raw: `${fmt(r)} ms (raw OTel)`,
      result: verdict(b / r, 0.5),
    },
    {
      name: 'cold start: @bentolabs/sdk/lambda + init',
      bento: `${fmt(l)} ms`,
      raw: `${fmt(r)} ms (raw OTel)`,
      result: verdict(l / r, 0.5),
    },
  ];
}
