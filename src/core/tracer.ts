/**
 * The SDK's private tracer: what OpenTelemetry's `TracerProvider` + `Tracer` do for us, without
 * their samplers, self-metrics, resource detection and span-processor fan-out (~6 KB of every
 * bundle for one always-on sampler and one processor). Spans are OpenTelemetry-shaped
 * (`span.ts`): any `SpanProcessor`/`SpanExporter` reads them as `ReadableSpan`s.
 */
import { ROOT_CONTEXT, type Span, type SpanOptions } from '@opentelemetry/api';
import type { SpanProcessor } from './otel-types.js';
import { BentoSpan, type SpanLimits } from './span.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `bytes` random bytes as hex, never all zero (an all-zero id is invalid in OpenTelemetry). */
function randomId(bytes: number): string {
  let id = '';
  for (let i = 0; i < bytes; i++) id += HEX[(Math.random() * 256) >>> 0];
  return /^0+$/.test(id) ? `${id.slice(0, -2)}01` : id;
}

/** A private tracer (never registered globally) that hands every span to one processor. */
export class BentoTracer {
  readonly resource: { readonly attributes: Record<string, string> };
  readonly instrumentationScope: { readonly name: string; readonly version: string };

  readonly #processor: SpanProcessor;
  readonly #limits: SpanLimits;

  constructor(
    processor: SpanProcessor,
    limits: SpanLimits,
    attributes: Record<string, string>,
    name: string,
    version: string,
  ) {
    this.#processor = processor;
    this.#limits = limits;
    this.resource = { attributes };
    this.instrumentationScope = { name, version };
  }

  /**
   * Starts a span, sampled and recording, as a child of `parentSpan` (one of ours) or as the root
   * of a new trace. The parent is passed directly, not through an OpenTelemetry context: no span of
   * the host's can become our parent, and the bundle needs none of `@opentelemetry/api`'s trace API.
   */
  startSpan(name: string, options: SpanOptions = {}, parentSpan?: Span): Span {
    const valid = parentSpan?.spanContext();
    return new BentoSpan(
      this,
      this.#processor,
      this.#limits,
      name,
      {
        traceId: valid?.traceId ?? randomId(16),
        spanId: randomId(8),
        traceFlags: 1,
        ...(valid?.traceState && { traceState: valid.traceState }),
      },
      valid,
      options,
      ROOT_CONTEXT,
    );
  }

  shutdown(): Promise<void> {
    return this.#processor.shutdown();
  }
}
