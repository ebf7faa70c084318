/**
 * `interaction(fn)` and `tool(fn)` of sync and async generator functions: the span covers the
 * iteration (ends on completion, `return()` or a throw), what the generator records while it is
 * consumed nests under it, and the output is the yielded values (the first 100). On 0.1 the span
 * ended at once with output `{}` and children became unrelated roots.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import { begin, flush, init, interaction, tool, toolSpan, trackAi } from '../../src/index.js';
import { deliveredByName, KEY, nextTurn, one, useReceiver } from './helpers.js';

const receiver = useReceiver();

beforeEach(() => {
  init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
});

const delivered = (): Promise<Map<string, ReceivedSpan>> => deliveredByName(receiver);

describe('interaction() of an async generator function', () => {
  it('the trajectory stays open while the stream is consumed, parents what it records, and outputs the yielded values', async () => {
    const answer = interaction(async function* streamAnswer(question: string) {
      trackAi({ event: 'gen-llm', input: question });
      yield 'Hel';
      await nextTurn();
      yield toolSpan('gen-tool', {}, () => 'lo');
      await nextTurn();
      trackAi({ event: 'gen-after-last-yield' });
      return 'ignored';
    });
    const stream = answer('hi?');
    const first = await stream.next();
    expect(first).toEqual({ value: 'Hel', done: false });
    // Mid-stream: the trajectory is still open, so it was not exported.
    await flush();
    expect(receiver.spanByName('streamAnswer')).toBeUndefined();
    const rest: string[] = [];
    for await (const chunk of stream) rest.push(chunk);
    expect(rest).toEqual(['lo']);
    const spans = await delivered();
    const turn = one(spans, 'streamAnswer');
    expect(turn.attributes['output.value']).toBe('["Hel","lo"]');
    for (const child of ['gen-llm', 'gen-tool', 'gen-after-last-yield'])
      expect(one(spans, child).parentSpanId, child).toBe(turn.spanId);
    expect(turn.status.code).not.toBe(2);
  });

  it('nests under the trajectory it is called in, and keeps the generator protocol (instanceof, toStringTag)', async () => {
    async function* chunks() {
      yield 1;
      yield 2;
    }
    const wrapped = interaction(chunks);
    let seen: number[] = [];
    await begin({ event: 'gen-outer' }, async () => {
      const gen = wrapped();
      expect(gen).toBeInstanceOf(chunks);
      expect(Object.prototype.toString.call(gen)).toBe('[object AsyncGenerator]');
      expect(gen[Symbol.asyncIterator]()).toBe(gen);
      seen = [];
      for await (const n of gen) seen.push(n);
    });
    expect(seen).toEqual([1, 2]);
    const spans = await delivered();
    expect(one(spans, 'chunks').parentSpanId).toBe(one(spans, 'gen-outer').spanId);
    expect(one(spans, 'chunks').attributes['output.value']).toBe('[1,2]');
  });

  it('an error thrown by the generator ends the span with status ERROR and reaches the consumer unchanged', async () => {
    const boom = new Error('stream broke');
    const failing = interaction(async function* failingStream() {
      yield 'a';
      await nextTurn();
      throw boom;
    });
    const got: string[] = [];
    let caught: unknown;
    try {
      for await (const c of failing()) got.push(c);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(boom);
    expect(got).toEqual(['a']);
    const span = one(await delivered(), 'failingStream');
    expect(span.status).toMatchObject({ code: 2, message: 'stream broke' });
    expect(span.events.map((e) => e.name)).toContain('exception');
  });

  it('captureOutput: false records no output', async () => {
    const quiet = interaction(
      async function* quietStream() {
        yield 'secret';
      },
      { captureOutput: false },
    );
    for await (const _ of quiet()) void _;
    expect(one(await delivered(), 'quietStream').attributes['output.value']).toBeUndefined();
  });
});

describe('tool() of a sync generator function', () => {
  it('break (return()) ends the span with what was yielded so far; arguments are the input', async () => {
    const numbers = tool(function* countUp(limit: number) {
      for (let i = 1; i <= limit; i++) {
        trackAi({ event: `count-${i}` });
        yield i;
      }
    });
    const got: number[] = [];
    for (const n of numbers(10)) {
      got.push(n);
      if (n === 3) break;
    }
    expect(got).toEqual([1, 2, 3]);
    const spans = await delivered();
    const span = one(spans, 'countUp');
    expect(span.attributes).toMatchObject({
      'openinference.span.kind': 'tool',
      'input.value': '[10]',
      'output.value': '[1,2,3]',
    });
    for (const i of [1, 2, 3]) expect(one(spans, `count-${i}`).parentSpanId).toBe(span.spanId);
    expect(spans.has('count-4')).toBe(false);
  });

  it('an error thrown into the generator by the consumer (throw()) ends the span as failed', () => {
    const gen = tool(function* listens() {
      yield 'ready';
      yield 'never';
    })();
    expect(gen.next()).toEqual({ value: 'ready', done: false });
    const stop = new Error('consumer gave up');
    expect(() => gen.throw(stop)).toThrow(stop);
    return delivered().then((spans) => {
      expect(one(spans, 'listens').status).toMatchObject({ code: 2, message: 'consumer gave up' });
    });
  });

  it('keeps the first 100 yielded values as output and counts the rest', async () => {
    const many = tool(function* manyItems() {
      for (let i = 0; i < 150; i++) yield i;
    });
    let count = 0;
    for (const _ of many()) count++;
    expect(count).toBe(150);
    const span = one(await delivered(), 'manyItems');
    expect(JSON.parse(String(span.attributes['output.value']))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(span.attributes['bentolabs.output.dropped_items']).toBe(50);
  });

  it('a plain function that returns a value is unaffected (no dropped-items marker)', async () => {
    const plain = tool(function plainTool() {
      return [1, 2, 3];
    });
    expect(plain()).toEqual([1, 2, 3]);
    const span = one(await delivered(), 'plainTool');
    expect(span.attributes['output.value']).toBe('[1,2,3]');
    expect(span.attributes['bentolabs.output.dropped_items']).toBeUndefined();
  });
});
