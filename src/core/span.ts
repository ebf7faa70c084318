/**
 * The SDK's span: an OpenTelemetry `Span` while it is open and a `ReadableSpan` once ended, with
 * the rules of OpenTelemetry's own `SpanImpl` that our spans rely on: invalid attribute values
 * are ignored, string values are cut at `attributeValueLengthLimit`, attributes, events and
 * links beyond their limits are dropped and counted, a status is final once `OK`, an ended span
 * takes no more changes, and times are epoch-based with the monotonic clock's precision.
 */
import {
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Context,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor, TimedEventLike } from './otel-types.js';

export interface SpanLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
  eventCountLimit: number;
}

/** Links, and attributes per event or link: OpenTelemetry's defaults. */
const PER_ITEM_LIMIT = 128;

/** Epoch milliseconds (fractional) as `[seconds, nanoseconds]`. */
function hr(ms: number): HrTime {
  const s = Math.trunc(ms / 1000);
  const ns = Math.round((ms - s * 1000) * 1e6);
  return ns >= 1e9 ? [s + 1, ns - 1e9] : [s, ns];
}

const isHr = (t: unknown): t is HrTime => Array.isArray(t) && t.length === 2 && typeof t[0] === 'number';
const isTime = (t: unknown): t is TimeInput => typeof t === 'number' || t instanceof Date || isHr(t);

function validValue(value: unknown): boolean {
  if (!Array.isArray(value)) return ['string', 'number', 'boolean'].includes(typeof value);
  let type: string | undefined;
  for (const v of value) {
    if (v == null) continue;
    type ??= typeof v;
    if (typeof v !== type || !validValue(v)) return false;
  }
  return true;
}

export class BentoSpan implements Span, ReadableSpan {
  readonly kind: ReadableSpan['kind'];
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEventLike[] = [];
  readonly startTime: HrTime;
  readonly resource: ReadableSpan['resource'];
  readonly instrumentationScope: ReadableSpan['instrumentationScope'];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  #count = 0;
  /** Start on the monotonic clock, when the start time was not given. */
  readonly #mono: number | undefined;
  readonly #startMs: number;

  readonly #processor: SpanProcessor;
  readonly #limits: SpanLimits;
  readonly #context: SpanContext;

  constructor(
    owner: { resource: ReadableSpan['resource']; instrumentationScope: ReadableSpan['instrumentationScope'] },
    processor: SpanProcessor,
    limits: SpanLimits,
    public name: string,
    context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    options: SpanOptions,
    parentContext: Context,
  ) {
    this.#processor = processor;
    this.#limits = limits;
    this.#context = context;
    this.resource = owner.resource;
    this.instrumentationScope = owner.instrumentationScope;
    this.kind = options.kind ?? 0;
    if (options.startTime == null) {
      this.#mono = performance.now();
      this.#startMs = Date.now();
    } else this.#startMs = this.#ms(options.startTime);
    this.startTime = isHr(options.startTime) ? options.startTime : hr(this.#startMs);
    if (options.links) this.addLinks(options.links);
    if (options.attributes) this.setAttributes(options.attributes);
    processor.onStart(this, parentContext);
  }

  /** Epoch milliseconds of `time`; a number not past `performance.now()` is a monotonic time. */
  #ms(time: TimeInput | undefined): number {
    if (typeof time === 'number') return time <= performance.now() ? time + Date.now() - performance.now() : time;
    if (time instanceof Date) return time.getTime();
    if (isHr(time)) return time[0] * 1000 + time[1] / 1e6;
    return this.#mono === undefined ? Date.now() : this.#startMs + performance.now() - this.#mono;
  }

  #time(time: TimeInput | undefined): HrTime {
    return isHr(time) ? time : hr(this.#ms(time));
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  #cut<T extends AttributeValue>(value: T): T {
    const limit = this.#limits.attributeValueLengthLimit;
    const one = (v: unknown) => (typeof v === 'string' && v.length > limit ? v.slice(0, limit) : v);
    return (Array.isArray(value) ? value.map(one) : one(value)) as T;
  }

  /** Valid, length-cut attributes, at most `PER_ITEM_LIMIT`; the rest counted as dropped. */
  #bounded(attributes: Attributes | undefined): { attributes: Attributes; droppedAttributesCount: number } {
    const out: Attributes = {};
    let n = 0;
    let dropped = 0;
    for (const key in attributes ?? {}) {
      const value = attributes?.[key];
      if (!Object.hasOwn(attributes ?? {}, key) || !key || value == null || !validValue(value)) continue;
      if (n++ < PER_ITEM_LIMIT) out[key] = this.#cut(value);
      else dropped++;
    }
    return { attributes: out, droppedAttributesCount: dropped };
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.ended || !key || !validValue(value)) return this;
    const fresh = !Object.hasOwn(this.attributes, key);
    if (fresh && this.#count >= this.#limits.attributeCountLimit) this.droppedAttributesCount++;
    else {
      this.attributes[key] = this.#cut(value);
      if (fresh) this.#count++;
    }
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    if (isTime(attributesOrTime)) {
      if (!isTime(time)) time = attributesOrTime;
      attributesOrTime = undefined;
    }
    if (this.events.length >= this.#limits.eventCountLimit) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    this.events.push({ name, time: this.#time(time), ...this.#bounded(attributesOrTime) });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links.length >= PER_ITEM_LIMIT) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    const { attributes, droppedAttributesCount } = this.#bounded(link.attributes);
    this.links.push({
      context: link.context,
      ...(Object.keys(attributes).length > 0 && { attributes }),
      ...(droppedAttributesCount > 0 && { droppedAttributesCount }),
    });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    let end = this.#time(endTime);
    let s = end[0] - this.startTime[0];
    let ns = end[1] - this.startTime[1];
    if (ns < 0) {
      s--;
      ns += 1e9;
    }
    if (s < 0) {
      end = [...this.startTime];
      s = ns = 0;
    }
    this.endTime = end;
    this.duration = [s, ns];
    this.ended = true;
    this.#processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /** As OpenTelemetry records it: an `exception` event with the error's type, message and stack. */
  recordException(exception: unknown, time?: TimeInput): void {
    const e = (typeof exception === 'string' ? { message: exception } : (exception ?? {})) as Record<string, unknown>;
    const type = e.code ?? e.name;
    const attributes: Attributes = {};
    if (type) attributes['exception.type'] = String(type);
    if (e.message) attributes['exception.message'] = e.message as string;
    if (e.stack) attributes['exception.stacktrace'] = e.stack as string;
    if (type || e.message) this.addEvent('exception', attributes, time);
  }
}
