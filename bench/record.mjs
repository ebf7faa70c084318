/**
 * Cost of one `trackAi` call against a raw OpenTelemetry span with the same attributes, on the
 * same provider type (BasicTracerProvider) with a batching processor. Only the recording call is
 * timed; exports happen between rounds.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as bento from '@bentolabs/sdk';
import { fmt, median, startSink, verdict } from './lib.mjs';

const ROUNDS = 40;
const CALLS = 500;
const input = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'What is the refund policy?' },
];
const output = 'Refunds are issued within 5 business days.';

export async function benchRecord() {
  const sink = await startSink();
  bento.init({ apiKey: 'bl_pk_bench_00000000', baseUrl: sink.url, logLevel: 'silent', flushOnExit: false });
  const raw = new BasicTracerProvider({
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink.url}/v1/traces` }), {
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
      }),
    ],
  });
  const tracer = raw.getTracer('bench');

  const viaBento = () => {
    for (let i = 0; i < CALLS; i++) {
      bento.trackAi({
        event: 'answer',
        userId: 'u1',
        convoId: 'c1',
        model: 'gpt-4o',
        provider: 'openai',
        input,
        output,
        properties: { experiment_id: 17, variant: 'b' },
      });
    }
  };
  const viaRaw = () => {
    for (let i = 0; i < CALLS; i++) {
      const attributes = {
        experiment_id: 17,
        variant: 'b',
        'gen_ai.user.id': 'u1',
        'gen_ai.conversation.id': 'c1',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.system': 'openai',
        'input.value': JSON.stringify(input),
        'output.value': output,
      };
      tracer.startSpan('answer', { attributes }, ROOT_CONTEXT).end();
    }
  };
  const bentoTimes = [];
  const rawTimes = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so neither side always runs on a warmer heap.
    for (const [fn, times, flush] of r % 2
      ? [
          [viaBento, bentoTimes, () => bento.flush()],
          [viaRaw, rawTimes, () => raw.forceFlush()],
        ]
      : [
          [viaRaw, rawTimes, () => raw.forceFlush()],
          [viaBento, bentoTimes, () => bento.flush()],
        ]) {
      const t = process.hrtime.bigint();
      fn();
      times.push(Number(process.hrtime.bigint() - t) / CALLS);
      await flush();
    }
  }
  // The first rounds warm the JIT; compare the rest.
  const b = median(bentoTimes.slice(5));
  const o = median(rawTimes.slice(5));
  await bento.shutdown();
  await raw.shutdown();
  await sink.close();
  return {
    name: 'trackAi() per call',
    bento: `${fmt(b / 1000, 2)} µs`,
    raw: `${fmt(o / 1000, 2)} µs (raw OTel span)`,
    result: verdict(b / o, 1.3),
  };
}
