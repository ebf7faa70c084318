/**
 * Time of a flush of 100 spans to a loopback receiver: `flush()` against the raw
 * `BatchSpanProcessor.forceFlush()` with the OTLP proto exporter.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as bento from '@bentolabs/sdk';
import { fmt, median, startSink, verdict } from './lib.mjs';

const ROUNDS = 60;
const SPANS = 100;

export async function benchFlush() {
  const sink = await startSink();
  bento.init({ apiKey: 'bl_pk_bench_00000000', baseUrl: sink.url, logLevel: 'silent', flushOnExit: false });
  const raw = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink.url}/v1/traces` }))],
  });
  const tracer = raw.getTracer('bench');
  const bentoTimes = [];
  const rawTimes = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < SPANS; i++)
      bento.trackAi({ event: 'answer', model: 'gpt-4o', provider: 'openai', input: 'hi', output: 'hello' });
    let t = process.hrtime.bigint();
    await bento.flush();
    bentoTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    for (let i = 0; i < SPANS; i++)
      tracer
        .startSpan(
          'answer',
          {
            attributes: {
              'gen_ai.request.model': 'gpt-4o',
              'gen_ai.system': 'openai',
              'input.value': 'hi',
              'output.value': 'hello',
            },
          },
          ROOT_CONTEXT,
        )
        .end();
    t = process.hrtime.bigint();
    await raw.forceFlush();
    rawTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const b = median(bentoTimes.slice(10));
  const o = median(rawTimes.slice(10));
  await bento.shutdown();
  await raw.shutdown();
  await sink.close();
  return {
    name: `flush() of ${SPANS} spans (loopback)`,
    bento: `${fmt(b, 2)} ms`,
    raw: `${fmt(o, 2)} ms (BatchSpanProcessor.forceFlush)`,
    result: verdict(b / o, 1.2),
  };
}
