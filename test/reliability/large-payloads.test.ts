/**
 * Large payloads: export requests are split before sending so that none exceeds
 * `maxExportRequestBytes` (default 4 MiB), and an endpoint that answers 413 gets smaller batches
 * rather than losing one. Sizes are checked on the receiver's side (`bodyBytes` on the wire).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { init, shutdown, status, trackAi, type BentoOptions } from '../../src/index.js';
import { OtlpReceiver } from '../support/receiver.js';
import {
  boundedFlush,
  captureLogger,
  expectConserved,
  hostExceptionGuard,
  idle,
  KEY,
  sandboxEnv,
  type CapturedLog,
} from './helpers.js';

const MiB = 1024 * 1024;
let receiver: OtlpReceiver;
let logger: CapturedLog;
let restoreEnv: () => void;
const guard = hostExceptionGuard();

beforeAll(async () => {
  guard.install();
  receiver = await OtlpReceiver.start();
});
afterAll(async () => {
  guard.uninstall();
  await receiver.close();
});
beforeEach(() => {
  restoreEnv = sandboxEnv();
  receiver.clear();
  receiver.setFault(undefined);
  logger = captureLogger();
});
afterEach(async () => {
  receiver.setFault(undefined);
  await shutdown();
  restoreEnv();
  expect(guard.seen).toEqual([]);
});

function start(extra: BentoOptions = {}): void {
  // The queue and batch are big enough that every test's spans go out as one batch first.
  init({
    apiKey: KEY,
    baseUrl: receiver.url,
    logger,
    logLevel: 'debug',
    scheduledDelayMillis: 60_000,
    exportTimeoutMillis: 20_000,
    ...extra,
  });
}

/** `n` spans with an `input.value` of `bytes` ASCII characters each, distinguishable by name. */
function recordLarge(n: number, bytes: number, prefix = 'big'): void {
  for (let i = 0; i < n; i++) trackAi({ event: `${prefix}-${i}`, input: String(i % 10).repeat(bytes) });
}

const sentSizes = () => receiver.requests.map((r) => r.bodyBytes);

describe('requests never exceed maxExportRequestBytes', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`a small configured limit (16 KiB, ${protocol}): many small requests, all delivered`, async () => {
      const limit = 16 * 1024;
      start({ maxExportRequestBytes: limit, protocol });
      recordLarge(60, 1000);
      const { result } = await boundedFlush(20_000);
      expect(result).toEqual({ ok: true, exported: 60, dropped: 0 });
      expect(receiver.requests.length).toBeGreaterThan(4);
      expect(Math.max(...sentSizes())).toBeLessThanOrEqual(limit);
      expect(receiver.requests.every((r) => r.status === 200)).toBe(true);
      // Every span exactly once.
      expect(new Set(receiver.spans.map((s) => s.name)).size).toBe(60);
      await idle();
      expectConserved(receiver.spans.length);
    });
  }

  it('the default limit (4 MiB) with ~1 MiB attribute values: 12 MB recorded, no request over 4 MiB, all delivered', async () => {
    start();
    expect(status().maxQueueSize).toBe(2048);
    recordLarge(12, 1_000_000);
    const { result } = await boundedFlush(20_000);
    expect(result).toEqual({ ok: true, exported: 12, dropped: 0 });
    expect(receiver.requests.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sentSizes())).toBeLessThanOrEqual(4 * MiB);
    expect(receiver.spans.map((s) => (s.attributes['input.value'] as string).length)).toEqual(
      Array(12).fill(1_000_000),
    );
    await idle();
    expectConserved(receiver.spans.length);
  });

  it('a value past maxAttributeValueLength (1 MiB) is truncated with a marker, so a span stays near 1 MiB', async () => {
    start();
    trackAi({ event: 'huge-input', input: 'z'.repeat(5 * MiB) });
    const { result } = await boundedFlush(20_000);
    expect(result.ok).toBe(true);
    const value = receiver.spans[0]?.attributes['input.value'] as string;
    expect(value.startsWith('z'.repeat(1000))).toBe(true);
    expect(value).toMatch(/…\[truncated \d+ chars\]$/);
    expect(value.length).toBeLessThan(MiB + 64);
    expect(Math.max(...sentSizes())).toBeLessThan(MiB + 4096);
  });

  it('a single span bigger than the limit by itself is sent alone (it cannot be split), and delivered', async () => {
    const limit = 4096;
    start({ maxExportRequestBytes: limit });
    recordLarge(3, 200, 'small');
    recordLarge(1, 10_000, 'alone');
    recordLarge(3, 200, 'small2');
    const { result } = await boundedFlush(20_000);
    expect(result).toEqual({ ok: true, exported: 7, dropped: 0 });
    const oversize = receiver.requests.filter((r) => r.bodyBytes > limit);
    expect(oversize).toHaveLength(1);
    expect(oversize[0]?.spans.map((s) => s.name)).toEqual(['alone-0']);
    await idle();
    expectConserved(receiver.spans.length);
  });

  it('a 10 MB event name does not make a 10 MB request (span names are bounded like values)', async () => {
    // Span names are not attribute values; unbounded, `trackAi({ event: <10 MB> })` would go out as
    // one ~10 MB request, which real endpoints refuse (413) and which no split can make smaller.
    start();
    trackAi({ event: 'n'.repeat(10 * MiB) });
    await boundedFlush(20_000);
    await idle();
    expect(Math.max(...sentSizes())).toBeLessThanOrEqual(4 * MiB);
    expectConserved(receiver.spans.length);
  });

  it('a 10 MB property key does not make a 10 MB request either', async () => {
    // Keys are written as-is (SPEC §4), but the value limit bounds only values.
    start();
    trackAi({ event: 'huge-key', properties: { ['k'.repeat(10 * MiB)]: 1 } });
    await boundedFlush(20_000);
    await idle();
    expect(Math.max(...sentSizes())).toBeLessThanOrEqual(4 * MiB);
    expectConserved(receiver.spans.length);
  });
});

describe('a 413 from the endpoint leads to smaller batches, not a lost batch', () => {
  it('max-body 20 KB, 40 spans of 2 KB: every span delivered, no accepted request over the limit', async () => {
    const bytes = 20_000;
    start();
    receiver.setFault({ kind: 'max-body', bytes });
    recordLarge(40, 2000);
    const { result } = await boundedFlush(20_000);
    expect(result).toEqual({ ok: true, exported: 40, dropped: 0 });
    expect(receiver.requests.some((r) => r.status === 413)).toBe(true);
    const accepted = receiver.requests.filter((r) => r.accepted);
    expect(Math.max(...accepted.map((r) => r.bodyBytes))).toBeLessThanOrEqual(bytes);
    expect(new Set(receiver.spans.map((s) => s.name)).size).toBe(40);
    expect(status().droppedExportFailed).toBe(0);
    await idle();
    expectConserved(receiver.spans.length);
  });

  it('the only span that cannot fit is dropped, counted and explained; its batch-mates are delivered', async () => {
    start();
    receiver.setFault({ kind: 'max-body', bytes: 8000 });
    recordLarge(6, 500, 'fits');
    recordLarge(1, 20_000, 'never-fits');
    const { result } = await boundedFlush(20_000);
    expect(result).toMatchObject({ ok: false, exported: 6, dropped: 1 });
    expect(receiver.spans.map((s) => s.name).sort()).toEqual([
      'fits-0',
      'fits-1',
      'fits-2',
      'fits-3',
      'fits-4',
      'fits-5',
    ]);
    expect(status().droppedExportFailed).toBe(1);
    expect(logger.matching('warn', /single span was too large for the endpoint \(413\)/)).toHaveLength(1);
    await idle();
    expectConserved(receiver.spans.length);
  });
});
