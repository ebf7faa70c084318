/**
 * The OpenTelemetry SDK types that appear in our public API (`BentoLabsSpanProcessor`,
 * `BentoLabsTraceExporter`), declared structurally. The SDK packages are bundled into our build
 * and not installed for users, so published types that imported them would fail to compile in a
 * strict project without `skipLibCheck`. OpenTelemetry's own `ReadableSpan`, `SpanProcessor` and
 * `SpanExporter` fit these shapes, so our classes plug into any `TracerProvider`.
 */
import type { Attributes, Context, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';

/** An event of a finished span. */
export interface TimedEventLike {
  readonly time: HrTime;
  readonly name: string;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

/** A finished span, as OpenTelemetry's `ReadableSpan` describes it. */
export interface ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  spanContext(): SpanContext;
  readonly parentSpanContext?: SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEventLike[];
  readonly duration: HrTime;
  readonly ended: boolean;
  readonly resource: { readonly attributes: Attributes; readonly schemaUrl?: string };
  readonly instrumentationScope: { readonly name: string; readonly version?: string; readonly schemaUrl?: string };
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

/** Result of one export: `code` 0 is success, 1 failure (OpenTelemetry's `ExportResultCode`). */
export interface ExportResult {
  code: 0 | 1;
  error?: Error;
}

/** OpenTelemetry's `SpanProcessor` contract. */
export interface SpanProcessor {
  onStart(span: unknown, parentContext: Context): void;
  onEnd(span: ReadableSpan): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** OpenTelemetry's `SpanExporter` contract. */
export interface SpanExporter {
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}
