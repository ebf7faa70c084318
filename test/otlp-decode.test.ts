import { gzipSync } from 'node:zlib';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeTraceRequest, encodingOf, OtlpDecodeError, plainValue } from '../src/dev/otlp.js';
import type { ReceivedSpan } from '../src/dev/otlp.js';
import { OtlpReceiver } from './support/receiver.js';

const API_KEY = 'bl_pk_x';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await OtlpReceiver.start();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => receiver.clear());

interface Recorded {
  parent: Span;
  child: Span;
}

/** Records a parent (SERVER) and an ERROR child with every attribute type through a real exporter. */
async function recordThrough(exporter: SpanExporter): Promise<Recorded> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otlp-decode-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('decode-test', '1.2.3');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
  const child = tracer.startSpan('child', {}, trace.setSpan(context.active(), parent));
  child.setAttributes({
    str: 'héllo ✓',
    int: 3,
    negative: -42,
    double: 3.5,
    bool: true,
    big: 2 ** 60,
    strings: ['a', 'b'],
    ints: [1, 2, 3],
    doubles: [1.5, 2.5],
    bools: [true, false],
  });
  child.addEvent('thinking', { step: 2, note: 'first' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { parent, child };
}

type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;
// The CompressionAlgorithm enum lives in a transitive package; its value is the plain string.
const GZIP = 'gzip' as ExporterConfig['compression'];

const exporters = [
  { label: 'protobuf', encoding: 'protobuf', make: (o: ExporterConfig) => new ProtoExporter(o) },
  { label: 'JSON', encoding: 'json', make: (o: ExporterConfig) => new JsonExporter(o) },
  {
    label: 'gzipped protobuf',
    encoding: 'protobuf',
    make: (o: ExporterConfig) => new ProtoExporter({ ...o, compression: GZIP }),
  },
  {
    label: 'gzipped JSON',
    encoding: 'json',
    make: (o: ExporterConfig) => new JsonExporter({ ...o, compression: GZIP }),
  },
] as const;

describe.each(exporters)('decoding what the real $label exporter sends', ({ encoding, make, label }) => {
  let recorded: Recorded;
  let parent: ReceivedSpan;
  let child: ReceivedSpan;

  beforeEach(async () => {
    recorded = await recordThrough(
      make({ url: `${receiver.url}/v1/traces`, headers: { Authorization: `Bearer ${API_KEY}` } }),
    );
    await receiver.waitForSpans(2);
    parent = receiver.spanByName('parent')!;
    child = receiver.spanByName('child')!;
  });

  it('sends the custom headers, content type and encoding', () => {
    const request = receiver.requests.find((r) => r.accepted)!;
    expect(request.path).toBe('/v1/traces');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.encoding).toBe(encoding);
    expect(request.headers['content-encoding']).toBe(label.startsWith('gzipped') ? 'gzip' : undefined);
  });

  it('decodes ids as lowercase hex and links the child to its parent', () => {
    expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parent.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parent.spanId).toBe(recorded.parent.spanContext().spanId);
    expect(child.spanId).toBe(recorded.child.spanContext().spanId);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(parent).not.toHaveProperty('parentSpanId');
  });

  it('keeps attribute values and their OTLP types (int vs double)', () => {
    expect(child.typedAttributes).toEqual({
      str: { type: 'string', value: 'héllo ✓' },
      int: { type: 'int', value: 3 },
      negative: { type: 'int', value: -42 },
      double: { type: 'double', value: 3.5 },
      bool: { type: 'bool', value: true },
      big: { type: 'int', value: '1152921504606846976' },
      strings: {
        type: 'array',
        values: [
          { type: 'string', value: 'a' },
          { type: 'string', value: 'b' },
        ],
      },
      ints: { type: 'array', values: [1, 2, 3].map((value) => ({ type: 'int', value })) },
      doubles: { type: 'array', values: [1.5, 2.5].map((value) => ({ type: 'double', value })) },
      bools: {
        type: 'array',
        values: [
          { type: 'bool', value: true },
          { type: 'bool', value: false },
        ],
      },
    });
    expect(child.attributes).toEqual({
      str: 'héllo ✓',
      int: 3,
      negative: -42,
      double: 3.5,
      bool: true,
      big: '1152921504606846976',
      strings: ['a', 'b'],
      ints: [1, 2, 3],
      doubles: [1.5, 2.5],
      bools: [true, false],
    });
  });

  it('decodes events, status, kind, times, resource and scope', () => {
    expect(child.events).toHaveLength(1);
    const [event] = child.events;
    expect(event!.name).toBe('thinking');
    expect(event!.typedAttributes).toEqual({
      step: { type: 'int', value: 2 },
      note: { type: 'string', value: 'first' },
    });
    expect(event!.attributes).toEqual({ step: 2, note: 'first' });
    expect(child.status).toEqual({ code: 2, message: 'boom' });
    expect(parent.status).toEqual({ code: 0 });
    // OTLP kinds are the API's plus one (0 is UNSPECIFIED on the wire).
    expect(parent.kind).toBe(2);
    expect(child.kind).toBe(1);
    for (const span of [parent, child]) {
      expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(BigInt(span.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(span.startTimeUnixNano));
      expect(span.durationMillis).toBe(Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6);
      expect(span.resource['service.name']).toBe('otlp-decode-test');
      expect(span.scope).toEqual({ name: 'decode-test', version: '1.2.3' });
    }
    expect(BigInt(event!.timeUnixNano)).toBeGreaterThanOrEqual(BigInt(child.startTimeUnixNano));
  });
});

describe('protobuf and JSON exporters', () => {
  it('decode to the same model', async () => {
    const models: unknown[] = [];
    for (const Exporter of [ProtoExporter, JsonExporter]) {
      receiver.clear();
      await recordThrough(new Exporter({ url: `${receiver.url}/v1/traces` }));
      const spans = await receiver.waitForSpans(2);
      // Ids and times differ per run; everything else must match field for field.
      models.push(
        spans.map(
          ({ traceId, spanId, parentSpanId, startTimeUnixNano, endTimeUnixNano, durationMillis, events, ...rest }) => ({
            ...rest,
            hasParent: parentSpanId !== undefined,
            events: events.map(({ timeUnixNano, ...e }) => e),
          }),
        ),
      );
    }
    expect(models[1]).toEqual(models[0]);
  });

  it('differ on NaN: protobuf keeps a double, JSON.stringify turns it into null (decoded as empty)', async () => {
    const provider = (exporter: SpanExporter) =>
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const types: unknown[] = [];
    for (const Exporter of [ProtoExporter, JsonExporter]) {
      receiver.clear();
      const p = provider(new Exporter({ url: `${receiver.url}/v1/traces` }));
      p.getTracer('t')
        .startSpan('nan', { attributes: { nan: NaN } })
        .end();
      await p.forceFlush();
      const [span] = await receiver.waitForSpans(1);
      types.push(span!.typedAttributes.nan);
    }
    expect(types).toEqual([{ type: 'double', value: NaN }, { type: 'empty' }]);
  });
});

// ---------------------------------------------------------------- hand-made protobuf

/** Just enough of a protobuf writer to build edge cases the real exporters never produce. */
const pb = {
  varint(v: bigint | number): number[] {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      const low = Number(x & 0x7fn);
      x >>= 7n;
      out.push(x > 0n ? low | 0x80 : low);
    } while (x > 0n);
    return out;
  },
  key: (field: number, wire: number) => pb.varint(field * 8 + wire),
  int: (field: number, v: bigint | number) => [...pb.key(field, 0), ...pb.varint(v)],
  len: (field: number, bytes: number[]) => [...pb.key(field, 2), ...pb.varint(bytes.length), ...bytes],
  str: (field: number, s: string) => pb.len(field, [...Buffer.from(s)]),
  fixed64(field: number, v: bigint): number[] {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return [...pb.key(field, 1), ...b];
  },
  double(field: number, v: number): number[] {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return [...pb.key(field, 1), ...b];
  },
  fixed32: (field: number, v: number) => [
    ...pb.key(field, 5),
    v & 0xff,
    (v >> 8) & 0xff,
    (v >> 16) & 0xff,
    (v >>> 24) & 0xff,
  ],
  /** A request holding one span made of `spanFields`, optionally with extra fields at each level. */
  request(spanFields: number[], extra: number[] = []): Uint8Array {
    const span = [
      ...pb.len(1, Array(16).fill(0xab)),
      ...pb.len(2, Array(8).fill(0xcd)),
      ...pb.str(5, 'edge'),
      ...spanFields,
    ];
    const scopeSpans = [...extra, ...pb.len(1, pb.str(1, 'scope')), ...pb.len(2, span)];
    const resourceSpans = [
      ...pb.len(2, scopeSpans),
      ...extra,
      ...pb.len(1, pb.len(1, [...pb.str(1, 'service.name'), ...pb.len(2, pb.str(1, 'svc'))])),
    ];
    return Uint8Array.from([...extra, ...pb.len(1, resourceSpans)]);
  },
  attr: (key: string, anyValue: number[]) => pb.len(9, [...pb.str(1, key), ...pb.len(2, anyValue)]),
};

/** Unknown fields of every wire type, including a nested group. */
const UNKNOWN = [
  ...pb.int(900, 12345678901234n),
  ...pb.fixed64(901, 7n),
  ...pb.str(902, 'future'),
  ...pb.fixed32(903, 0xdeadbeef),
  ...pb.key(904, 3),
  ...pb.int(1, 1),
  ...pb.key(905, 3),
  ...pb.str(2, 'x'),
  ...pb.key(905, 4),
  ...pb.key(904, 4),
];

function decodeOne(bytes: Uint8Array): ReceivedSpan {
  const spans = decodeTraceRequest(bytes, 'protobuf');
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe('protobuf reader edge cases', () => {
  it('skips unknown fields of every wire type at every level', () => {
    const span = decodeOne(
      pb.request([...UNKNOWN, ...pb.attr('k', [...UNKNOWN, ...pb.str(1, 'v')]), ...UNKNOWN], UNKNOWN),
    );
    expect(span).toMatchObject({
      name: 'edge',
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      scope: { name: 'scope' },
    });
    expect(span.resource).toEqual({ 'service.name': 'svc' });
    expect(span.typedAttributes).toEqual({ k: { type: 'string', value: 'v' } });
  });

  it('decodes negative int64, values beyond 2^53 and the int64 extremes', () => {
    const span = decodeOne(
      pb.request([
        ...pb.attr('neg', pb.int(3, -5)),
        ...pb.attr('beyond', pb.int(3, 2n ** 53n + 1n)),
        ...pb.attr('max', pb.int(3, 2n ** 63n - 1n)),
        ...pb.attr('min', pb.int(3, -(2n ** 63n))),
        ...pb.attr('safe', pb.int(3, Number.MAX_SAFE_INTEGER)),
        ...pb.fixed64(7, 1n),
        ...pb.fixed64(8, 2n ** 64n - 1n),
      ]),
    );
    expect(pb.int(3, -5)).toHaveLength(11); // negatives are 10-byte varints on the wire
    expect(span.attributes).toEqual({
      neg: -5,
      beyond: '9007199254740993',
      max: '9223372036854775807',
      min: '-9223372036854775808',
      safe: Number.MAX_SAFE_INTEGER,
    });
    expect(span.typedAttributes.beyond).toEqual({ type: 'int', value: '9007199254740993' });
    expect(span.startTimeUnixNano).toBe('1');
    expect(span.endTimeUnixNano).toBe('18446744073709551615');
  });

  it('decodes doubles, bytes, kvlists, empty values and last-wins oneofs', () => {
    const span = decodeOne(
      pb.request([
        ...pb.attr('d', pb.double(4, -0.25)),
        ...pb.attr('b', pb.len(7, [0x00, 0xff, 0x10])),
        ...pb.attr('kv', pb.len(6, pb.len(1, [...pb.str(1, 'inner'), ...pb.len(2, pb.int(2, 1))]))),
        ...pb.attr('none', []),
        ...pb.attr('twice', [...pb.str(1, 'first'), ...pb.int(3, 9)]),
        ...pb.len(15, [...pb.int(3, 1)]),
      ]),
    );
    expect(span.typedAttributes).toEqual({
      d: { type: 'double', value: -0.25 },
      b: { type: 'bytes', value: '00ff10' },
      kv: { type: 'kvlist', values: { inner: { type: 'bool', value: true } } },
      none: { type: 'empty' },
      twice: { type: 'int', value: 9 },
    });
    expect(span.attributes).toEqual({ d: -0.25, b: '00ff10', kv: { inner: true }, none: null, twice: 9 });
    expect(span.status).toEqual({ code: 1 });
  });

  it('keeps a `__proto__` attribute key as a plain key in both encodings', () => {
    const fromJson = decodeTraceRequest(
      Buffer.from(
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"__proto__","value":{"stringValue":"x"}}]}]}]}]}',
      ),
      'json',
    );
    for (const span of [decodeOne(pb.request(pb.attr('__proto__', pb.str(1, 'x')))), fromJson[0]!]) {
      expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(span.attributes, '__proto__')?.value).toBe('x');
      expect(Object.getOwnPropertyDescriptor(span.typedAttributes, '__proto__')?.value).toEqual({
        type: 'string',
        value: 'x',
      });
    }
  });

  it('throws OtlpDecodeError for every truncation of a request', () => {
    const bytes = pb.request([...pb.attr('k', pb.str(1, 'v')), ...pb.fixed64(7, 5n)]);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(() => decodeTraceRequest(bytes.subarray(0, cut), 'protobuf'), `cut at ${cut}`).toThrow(OtlpDecodeError);
    }
  });

  it('rejects bad wire types, overlong varints and mismatched groups', () => {
    expect(() => decodeTraceRequest(Uint8Array.from([0x0f]), 'protobuf')).toThrow(/wire type 7/);
    expect(() => decodeTraceRequest(Uint8Array.from([0x08, ...Array(10).fill(0x80), 0x01]), 'protobuf')).toThrow(
      /longer than 10 bytes/,
    );
    expect(() => decodeTraceRequest(Uint8Array.from([...pb.key(9, 3), ...pb.key(8, 4)]), 'protobuf')).toThrow(
      /mismatched end of group/,
    );
    expect(() => decodeTraceRequest(Uint8Array.from(pb.key(9, 3)), 'protobuf')).toThrow(/unterminated group/);
  });

  it('rejects absurdly deep attribute values instead of overflowing the stack', () => {
    let value: number[] = pb.str(1, 'leaf');
    for (let i = 0; i < 150; i++) value = pb.len(5, pb.len(1, value));
    expect(() => decodeTraceRequest(pb.request(pb.attr('deep', value)), 'protobuf')).toThrow(/nest deeper/);
  });

  it('decodes an empty body as an empty request', () => {
    expect(decodeTraceRequest(new Uint8Array(0), 'protobuf')).toEqual([]);
  });

  it('never throws anything but OtlpDecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('protobuf' as const, 'json' as const),
        (bytes, encoding) => {
          try {
            expect(Array.isArray(decodeTraceRequest(bytes, encoding))).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(OtlpDecodeError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decodes mutated real requests without throwing anything but OtlpDecodeError', () => {
    const valid = pb.request([
      ...pb.attr('k', pb.str(1, 'v')),
      ...pb.len(11, [...pb.fixed64(1, 3n), ...pb.str(2, 'ev')]),
    ]);
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const bytes = Uint8Array.from(valid);
        bytes[at] = byte;
        try {
          decodeTraceRequest(bytes, 'protobuf');
        } catch (error) {
          expect(error).toBeInstanceOf(OtlpDecodeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('compression', () => {
  const bytes = pb.request(pb.attr('k', pb.str(1, 'v')));

  it('gunzips when content-encoding is gzip, and sniffs gzip without the header', () => {
    const gz = gzipSync(bytes);
    expect(decodeTraceRequest(gz, 'protobuf', 'gzip')[0]!.attributes).toEqual({ k: 'v' });
    expect(decodeTraceRequest(gz, 'protobuf')[0]!.attributes).toEqual({ k: 'v' });
    const json = gzipSync(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'j' }] }] }] }));
    expect(decodeTraceRequest(json, 'json', 'GZIP')[0]!.name).toBe('j');
  });

  it('throws OtlpDecodeError for a corrupt gzip body or an unknown encoding', () => {
    const gz = gzipSync(bytes);
    expect(() => decodeTraceRequest(gz.subarray(0, gz.length - 6), 'protobuf', 'gzip')).toThrow(OtlpDecodeError);
    expect(() => decodeTraceRequest(bytes, 'protobuf', 'gzip')).toThrow(/Could not decompress gzip/);
    expect(() => decodeTraceRequest(bytes, 'protobuf', 'zstd')).toThrow(/Unsupported content-encoding `zstd`/);
    expect(decodeTraceRequest(bytes, 'protobuf', 'identity')).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- JSON normaliser

const jsonBody = (request: unknown): Uint8Array => Buffer.from(JSON.stringify(request));
const jsonSpan = (span: object) =>
  jsonBody({ resourceSpans: [{ scopeSpans: [{ scope: { name: 's' }, spans: [span] }] }] });

describe('OTLP/JSON normaliser', () => {
  it('accepts int64 and times as strings or numbers, enum names and snake_case keys', () => {
    const [span] = decodeTraceRequest(
      jsonBody({
        resource_spans: [
          {
            scope_spans: [
              {
                spans: [
                  {
                    trace_id: 'AB'.repeat(16),
                    span_id: 'cd'.repeat(8),
                    parent_span_id: '',
                    name: 'n',
                    kind: 'SPAN_KIND_CLIENT',
                    start_time_unix_nano: 1000,
                    end_time_unix_nano: '3000001000',
                    attributes: [
                      { key: 'big', value: { intValue: '-9223372036854775808' } },
                      { key: 'num', value: { int_value: 7 } },
                      { key: 'inf', value: { doubleValue: 'Infinity' } },
                      { key: 'b64', value: { bytesValue: 'AP8Q' } },
                      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'x' }, {}] } } },
                      { key: 'map', value: { kvlistValue: { values: [{ key: 'a', value: { boolValue: false } }] } } },
                    ],
                    status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                  },
                ],
              },
            ],
          },
        ],
      }),
      'json',
    );
    expect(span).toMatchObject({
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      name: 'n',
      kind: 3,
      startTimeUnixNano: '1000',
      endTimeUnixNano: '3000001000',
      durationMillis: 3000,
      status: { code: 2, message: 'bad' },
      scope: { name: '' },
      resource: {},
    });
    expect(span).not.toHaveProperty('parentSpanId');
    expect(span!.typedAttributes).toEqual({
      big: { type: 'int', value: '-9223372036854775808' },
      num: { type: 'int', value: 7 },
      inf: { type: 'double', value: Infinity },
      b64: { type: 'bytes', value: '00ff10' },
      list: { type: 'array', values: [{ type: 'string', value: 'x' }, { type: 'empty' }] },
      map: { type: 'kvlist', values: { a: { type: 'bool', value: false } } },
    });
    expect(span!.attributes.list).toEqual(['x', null]);
  });

  it('accepts base64 ids as protobuf generic JSON mappers write them', () => {
    const [span] = decodeTraceRequest(
      jsonSpan({
        traceId: Buffer.alloc(16, 0xab).toString('base64'),
        spanId: Buffer.alloc(8, 0xcd).toString('base64'),
      }),
      'json',
    );
    expect(span).toMatchObject({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) });
  });

  it('throws OtlpDecodeError for malformed JSON and wrong shapes', () => {
    const bad: unknown[] = [
      '{"resourceSpans": [',
      [],
      { resourceSpans: {} },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 5 }] }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ startTimeUnixNano: '12abc' }] }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ kind: 'SPAN_KIND_NOPE' }] }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz!' }] }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [{ key: 'k', value: { intValue: 1.5 } }] }] }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [{ key: 'k', value: { boolValue: 'yes' } }] }] }] }] },
    ];
    for (const body of bad) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : jsonBody(body);
      expect(() => decodeTraceRequest(bytes, 'json'), JSON.stringify(body)).toThrow(OtlpDecodeError);
    }
  });

  it('rejects absurdly deep attribute values instead of overflowing the stack', () => {
    const depth = 150;
    const value = `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"x"}${']}}'.repeat(depth)}`;
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${value}}]}]}]}]}`;
    expect(() => decodeTraceRequest(Buffer.from(body), 'json')).toThrow(/nest deeper/);
  });

  it('rejects intValue outside int64, which the JS JSON exporter writes for integral numbers like 1e20', () => {
    const body = jsonSpan({ attributes: [{ key: 'huge', value: { intValue: 1e20 } }] });
    expect(() => decodeTraceRequest(body, 'json')).toThrow(/outside the int64 range/);
  });
});

describe('encodingOf and plainValue', () => {
  it('maps content types', () => {
    expect(encodingOf('application/x-protobuf')).toBe('protobuf');
    expect(encodingOf('Application/JSON; charset=utf-8')).toBe('json');
    expect(encodingOf('text/plain')).toBeUndefined();
    expect(encodingOf(undefined)).toBeUndefined();
  });

  it('turns typed values into plain ones', () => {
    expect(
      plainValue({ type: 'array', values: [{ type: 'int', value: '18446744073709551615' }, { type: 'empty' }] }),
    ).toEqual(['18446744073709551615', null]);
    expect(plainValue({ type: 'kvlist', values: { a: { type: 'double', value: 1.5 } } })).toEqual({ a: 1.5 });
  });
});
