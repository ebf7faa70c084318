/**
 * SPEC §4 type fidelity and hostile values, asserted on the wire: what the receiver decoded, with
 * its OTLP value type. The encodings checked here are the ones documented in
 * src/core/attributes.ts. Property-based tests (fast-check) cover arbitrary values.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  begin,
  flush,
  init,
  shutdown,
  toolSpan,
  trackAi,
  updateCurrentSpan,
  type BentoOptions,
} from '../../src/index.js';
import type { ReceivedSpan, TypedValue } from '../../src/dev/otlp.js';
import { KEY, useReceiver } from './helpers.js';

const receiver = useReceiver();

function start(extra: BentoOptions = {}): void {
  init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent', ...extra });
}

let spanCounter = 0;

async function recordProps(
  properties: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<ReceivedSpan> {
  // Short: span names are bounded by maxAttributeValueLength too (16 in some tests here).
  const name = `s${++spanCounter}`;
  trackAi({ event: name, properties, ...extra });
  const result = await flush();
  expect(result.ok).toBe(true);
  const span = receiver.spanByName(name);
  if (!span) throw new Error('span not received');
  return span;
}

const T = (type: 'int' | 'double' | 'string' | 'bool', value: unknown) => ({ type, value });

describe('type fidelity', () => {
  beforeEach(() => start());

  it('primitives keep their type; integers as OTLP int, other numbers as double', async () => {
    const span = await recordProps({
      i: 17,
      neg: -3,
      zero: 0,
      big: 2 ** 53 - 1,
      d: 1.5,
      tiny: 1e-7,
      s: 'str',
      t: true,
      f: false,
    });
    expect(span.typedAttributes).toMatchObject({
      i: T('int', 17),
      neg: T('int', -3),
      zero: T('int', 0),
      big: T('int', 2 ** 53 - 1),
      d: T('double', 1.5),
      tiny: T('double', 1e-7),
      s: T('string', 'str'),
      t: T('bool', true),
      f: T('bool', false),
    });
  });

  it('homogeneous primitive arrays are kept as arrays of that type', async () => {
    const span = await recordProps({
      strs: ['a', 'b'],
      ints: [1, 2, 3],
      bools: [true, false],
      doubles: [0.5, 1.25],
      empty: [],
    });
    const arr = (values: TypedValue[]) => ({ type: 'array', values });
    expect(span.typedAttributes.strs).toEqual(arr([T('string', 'a'), T('string', 'b')] as TypedValue[]));
    expect(span.typedAttributes.ints).toEqual(arr([T('int', 1), T('int', 2), T('int', 3)] as TypedValue[]));
    expect(span.typedAttributes.bools).toEqual(arr([T('bool', true), T('bool', false)] as TypedValue[]));
    expect(span.typedAttributes.doubles).toEqual(arr([T('double', 0.5), T('double', 1.25)] as TypedValue[]));
    expect(span.typedAttributes.empty).toEqual(arr([]));
  });

  it('objects and mixed arrays become a JSON string', async () => {
    const span = await recordProps({
      obj: { a: 1, b: [1, 'x'] },
      mixed: [1, 'a', true],
      nested: [[1], [2]],
      withNull: [1, null],
    });
    expect(span.typedAttributes.obj).toEqual(T('string', '{"a":1,"b":[1,"x"]}'));
    expect(span.typedAttributes.mixed).toEqual(T('string', '[1,"a",true]'));
    expect(span.typedAttributes.nested).toEqual(T('string', '[[1],[2]]'));
    expect(span.typedAttributes.withNull).toEqual(T('string', '[1,null]'));
  });

  it('undefined and null are dropped', async () => {
    const span = await recordProps({ u: undefined, n: null, kept: 1 });
    expect(Object.keys(span.attributes)).toEqual(['kept']);
  });
});

describe('hostile values never throw and get their documented encoding', () => {
  beforeEach(() => start());

  it('NaN/Infinity, bigint, Date, functions, symbols, Error', async () => {
    const err = new TypeError('bad thing');
    const span = await recordProps({
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ninf: Number.NEGATIVE_INFINITY,
      big: 12345678901234567890n,
      date: new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 10)),
      badDate: new Date(Number.NaN),
      fn: function namedFn() {},
      anon: (
        () => () =>
          1
      )(),
      sym: Symbol('desc'),
      err,
      numsWithNaN: [1, Number.NaN],
      huge: 1e300,
    });
    const a = span.typedAttributes;
    expect(a.nan).toEqual(T('string', 'NaN'));
    expect(a.inf).toEqual(T('string', 'Infinity'));
    expect(a.ninf).toEqual(T('string', '-Infinity'));
    expect(a.big).toEqual(T('string', '12345678901234567890'));
    expect(a.date).toEqual(T('string', '2024-05-06T07:08:09.010Z'));
    expect(a.badDate).toEqual(T('string', 'Invalid Date'));
    expect(a.fn).toEqual(T('string', '[Function namedFn]'));
    expect(a.anon).toEqual(T('string', '[Function anonymous]'));
    expect(a.sym).toEqual(T('string', 'Symbol(desc)'));
    const decodedErr = JSON.parse(span.attributes.err as string) as Record<string, unknown>;
    expect(decodedErr).toMatchObject({ name: 'TypeError', message: 'bad thing' });
    expect(decodedErr.stack).toContain('bad thing');
    expect(a.numsWithNaN).toEqual(T('string', '[1,"NaN"]'));
    // A whole number past int64 would not survive as an OTLP int.
    expect(a.huge).toEqual(T('string', '1e+300'));
  });

  it('circular structures, deep nesting, throwing getters and toJSON', async () => {
    const circular: Record<string, unknown> = { name: 'root' };
    circular.self = circular;
    circular.list = [circular, { back: circular }];
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const getter = Object.defineProperty({ ok: 1 }, 'bad', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    const badToJson = {
      toJSON() {
        throw new Error('toJSON');
      },
    };
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const span = await recordProps({
      circular,
      deep,
      getter,
      badToJson,
      revoked: revoked.proxy,
      map: new Map([['k', 1]]),
      set: new Set([1, 2]),
      typed: new Uint8Array([1, 2]),
    });
    expect(JSON.parse(span.attributes.circular as string)).toEqual({
      name: 'root',
      self: '[Circular]',
      list: ['[Circular]', { back: '[Circular]' }],
    });
    expect(span.attributes.deep as string).toContain('[Truncated]');
    expect(JSON.parse(span.attributes.getter as string)).toEqual({ ok: 1, bad: '[Unserializable]' });
    expect(span.attributes.badToJson).toBe('"[Unserializable]"');
    expect(typeof span.attributes.revoked).toBe('string');
    expect(span.attributes.map).toBe('{"k":1}');
    expect(span.attributes.set).toBe('[1,2]');
    expect(span.attributes.typed).toBe('[1,2]');
  });

  it('the same encodings apply to input/output, tool attributes and updates', async () => {
    const circular: Record<string, unknown> = {};
    circular.me = circular;
    begin({ event: 'traj', input: circular, output: 10n }, (turn) => {
      turn.update({ properties: { when: new Date(0) } });
      toolSpan('t', {}, (t) => {
        t.setAttribute('nan', Number.NaN);
        t.setAttribute('arr', [1, 2]);
        t.setOutput(circular);
        updateCurrentSpan({ properties: { f: () => 1 } });
      });
    });
    await flush();
    const traj = receiver.spanByName('traj');
    const tool = receiver.spanByName('t');
    expect(traj?.attributes['input.value']).toBe('{"me":"[Circular]"}');
    expect(traj?.attributes['output.value']).toBe('10'); // as in properties: the decimal string, not JSON-quoted;
    expect(traj?.attributes.when).toBe('1970-01-01T00:00:00.000Z');
    expect(tool?.typedAttributes.nan).toEqual(T('string', 'NaN'));
    expect(tool?.typedAttributes.arr).toEqual({ type: 'array', values: [T('int', 1), T('int', 2)] });
    expect(tool?.attributes['output.value']).toBe('{"me":"[Circular]"}');
    expect(tool?.attributes.f).toBe('[Function f]');
  });

  it('__proto__ and constructor keys are data, never prototype pollution', async () => {
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "a": 1}',
    ) as Record<string, unknown>;
    const span = await recordProps(
      { ...hostile, nested: hostile, constructor: 'ctor', toString: 'ts' },
      { input: hostile, output: hostile },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(JSON.parse(span.attributes.nested as string)).toEqual(
      JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "a": 1}'),
    );
    expect(span.attributes.constructor).toBe('ctor');
    expect(span.attributes.toString).toBe('ts');
    expect(span.attributes.a).toBe(1);
    expect(span.attributes['input.value']).toContain('"__proto__":{"polluted":"yes"}');
  });

  it('a 10 MB string is truncated with the marker at the default 1 MiB limit', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const span = await recordProps({ big }, { input: big });
    const limit = 1024 * 1024;
    for (const value of [span.attributes.big, span.attributes['input.value']] as string[]) {
      expect(value.startsWith('x'.repeat(limit))).toBe(true);
      expect(value.slice(limit)).toBe(`…[truncated ${big.length - limit} chars]`);
    }
  });

  it('maxAttributeValueLength is configurable (strings, string arrays and JSON)', async () => {
    await shutdown();
    start({ maxAttributeValueLength: 20 });
    const span = await recordProps({ s: 'y'.repeat(50), arr: ['z'.repeat(30), 'ok'], obj: { k: 'v'.repeat(40) } });
    expect(span.attributes.s).toBe(`${'y'.repeat(20)}…[truncated 30 chars]`);
    expect(span.attributes.arr).toEqual([`${'z'.repeat(20)}…[truncated 10 chars]`, 'ok']);
    expect((span.attributes.obj as string).startsWith('{"k":"vvvvvvvvvvvvvv')).toBe(true);
    expect(span.attributes.obj as string).toMatch(/…\[truncated \d+ chars\]$/);
  });

  it('property keys are bounded like values', async () => {
    await shutdown();
    start({ maxAttributeValueLength: 32 });
    trackAi({ event: 'k', properties: { ['k'.repeat(50)]: 1 } });
    const t = toolSpan('t');
    t.setAttribute('a'.repeat(40), true);
    t.end();
    await flush();
    expect(Object.keys(receiver.spanByName('k')?.attributes ?? {})).toEqual([`${'k'.repeat(32)}…[truncated 18 chars]`]);
    expect(Object.keys(receiver.spanByName('t')?.attributes ?? {})).toContain(`${'a'.repeat(32)}…[truncated 8 chars]`);
  });

  it('span names are bounded like values', async () => {
    await shutdown();
    start({ maxAttributeValueLength: 32 });
    trackAi({ event: 'e'.repeat(100) });
    toolSpan('t'.repeat(40)).end();
    await flush();
    expect(receiver.spans.map((s) => s.name)).toEqual([
      `${'e'.repeat(32)}…[truncated 68 chars]`,
      `${'t'.repeat(32)}…[truncated 8 chars]`,
    ]);
  });

  it('does not cut a surrogate pair in half', async () => {
    await shutdown();
    start({ maxAttributeValueLength: 16 });
    const s = `${'a'.repeat(15)}😀tail`;
    const span = await recordProps({ s });
    expect(span.attributes.s).toBe(`${'a'.repeat(15)}…[truncated 6 chars]`);
  });
});

describe('property-based', () => {
  beforeEach(() => start({ maxAttributeValueLength: 256 }));

  const hostileValue = fc.oneof(
    fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withObjectString: true,
      withBoxedValues: true,
    }),
    fc.constantFrom<unknown>(
      Number.NaN,
      Infinity,
      -Infinity,
      -0,
      Symbol('s'),
      () => 1,
      new Error('e'),
      new Date(Number.NaN),
      2n ** 70n,
    ),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'a'), fc.anything()),
  );

  it('trackAi never throws, whatever the property values, input and output', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), hostileValue),
        hostileValue,
        hostileValue,
        async (properties, input, output) => {
          const id = trackAi({ event: 'prop', properties, input, output });
          expect(id).toMatch(/^[0-9a-f]{16}$/);
          expect(id).not.toBe('0000000000000000');
        },
      ),
      { numRuns: 300 },
    );
    const result = await flush();
    expect(result.ok).toBe(true);
    expect(receiver.spansByName('prop')).toHaveLength(300);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('non-object fields never throw either (property values of any kind at the top level)', () => {
    fc.assert(
      fc.property(hostileValue, hostileValue, hostileValue, hostileValue, (properties, userId, tags, usage) => {
        expect(() =>
          trackAi({
            event: 'odd',
            properties: properties as Record<string, unknown>,
            userId: userId as string,
            tags: tags as string[],
            usage: usage as { inputTokens: number },
          }),
        ).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  // Primitives and homogeneous arrays arrive with their value and their OTLP type.
  const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  const fraction = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d));
  const shortString = fc.string({ maxLength: 100 });
  const typed = fc.oneof(
    safeInt.map((v) => ({ v, expected: { type: 'int', value: v } as TypedValue })),
    fraction.map((v) => ({ v, expected: { type: 'double', value: v } as TypedValue })),
    shortString.map((v) => ({ v, expected: { type: 'string', value: v } as TypedValue })),
    fc.boolean().map((v) => ({ v, expected: { type: 'bool', value: v } as TypedValue })),
    fc.array(safeInt, { minLength: 1, maxLength: 5 }).map((v) => ({
      v,
      expected: { type: 'array', values: v.map((x) => ({ type: 'int', value: x })) } as TypedValue,
    })),
    fc.array(shortString, { minLength: 1, maxLength: 5 }).map((v) => ({
      v,
      expected: { type: 'array', values: v.map((x) => ({ type: 'string', value: x })) } as TypedValue,
    })),
    fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }).map((v) => ({
      v,
      expected: { type: 'array', values: v.map((x) => ({ type: 'bool', value: x })) } as TypedValue,
    })),
    fc.array(fraction, { minLength: 1, maxLength: 5 }).map((v) => ({
      v,
      expected: { type: 'array', values: v.map((x) => ({ type: 'double', value: x })) } as TypedValue,
    })),
  );

  it('primitives and homogeneous arrays arrive with value and type (protobuf and JSON)', async () => {
    for (const protocol of ['http/protobuf', 'http/json'] as const) {
      await shutdown();
      receiver.clear();
      start({ protocol });
      const cases: { name: string; expected: Record<string, TypedValue> }[] = [];
      fc.assert(
        fc.property(
          fc.dictionary(
            fc.string({ minLength: 1, maxLength: 20 }).filter((k) => k !== '__proto__'),
            typed,
            { maxKeys: 6 },
          ),
          (dict) => {
            const name = `typed-${cases.length}`;
            const properties: Record<string, unknown> = {};
            const expected: Record<string, TypedValue> = {};
            for (const [k, { v, expected: e }] of Object.entries(dict)) {
              properties[k] = v;
              expected[k] = e;
            }
            trackAi({ event: name, properties });
            cases.push({ name, expected });
          },
        ),
        { numRuns: 200 },
      );
      expect((await flush()).ok).toBe(true);
      for (const { name, expected } of cases) {
        const span = receiver.spanByName(name);
        expect(span?.typedAttributes, `${protocol} ${name}`).toEqual(expected);
      }
    }
  });
});
