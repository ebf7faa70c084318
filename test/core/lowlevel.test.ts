/**
 * SPEC §3 "lower level": BentoLabsSpanProcessor and BentoLabsTraceExporter in a user's own
 * OpenTelemetry TracerProvider. Options resolve at construction (a bad key throws there).
 */
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BentoAuthError,
  BentoConfigError,
  BentoLabsSpanProcessor,
  BentoLabsTraceExporter,
  init,
  shutdown,
  status,
  updateCurrentSpan,
} from '../../src/index.js';
import { runDoctor } from '../../src/dev/doctor.js';
import { captureLogger, KEY, useReceiver } from './helpers.js';

// These tests build their own processors and exporters; the SDK's singleton is never started.
const receiver = useReceiver({ shutdownAfterEach: false });

it('constructors resolve options and throw BentoAuthError/BentoConfigError', () => {
  expect(() => new BentoLabsSpanProcessor()).toThrow(BentoAuthError);
  expect(() => new BentoLabsTraceExporter({ apiKey: 'nope' })).toThrow(BentoAuthError);
  expect(() => new BentoLabsTraceExporter({ apiKey: KEY, baseUrl: 'localhost:8080' })).toThrow(BentoConfigError);
  process.env.BENTOLABS_API_KEY = KEY;
  expect(() => new BentoLabsSpanProcessor()).not.toThrow();
});

it('BentoLabsSpanProcessor in a user provider: forceFlush delivers, with the Bearer key', async () => {
  const processor = new BentoLabsSpanProcessor({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('user-app');
  const parent = tracer.startSpan('user-parent');
  parent.setAttribute('n', 3);
  parent.end();
  await provider.forceFlush();
  expect(receiver.spans.map((s) => s.name)).toEqual(['user-parent']);
  expect(receiver.spans[0]?.typedAttributes.n).toEqual({ type: 'int', value: 3 });
  expect(receiver.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  expect(processor.counters()).toMatchObject({ recorded: 1, exported: 1, dropped: 0, queued: 0, inFlight: 0 });
  await provider.shutdown();
  // The private SDK instance was never started by this.
  expect(status().initialised).toBe(false);
});

it('logLevel: silent on a hand-built processor silences its failures', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  receiver.setFault({ kind: 'status', status: 401, times: 1 });
  const processor = new BentoLabsSpanProcessor({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  provider.getTracer('t').startSpan('quiet').end();
  expect(await processor.flush()).toMatchObject({ ok: false, dropped: 1 });
  expect(warn).not.toHaveBeenCalled();
  expect(error).not.toHaveBeenCalled();
  await provider.shutdown();
  vi.restoreAllMocks();
});

it('BentoLabsTraceExporter behind OpenTelemetry’s own BatchSpanProcessor', async () => {
  const provider = new BasicTracerProvider({
    spanProcessors: [
      new BatchSpanProcessor(
        new BentoLabsTraceExporter({ apiKey: KEY, baseUrl: receiver.url, protocol: 'http/json', logLevel: 'silent' }),
      ),
    ],
  });
  provider.getTracer('t').startSpan('via-exporter').end();
  await provider.forceFlush();
  expect(receiver.spans.map((s) => s.name)).toEqual(['via-exporter']);
  expect(receiver.requests[0]?.encoding).toBe('json');
  await provider.shutdown();
});

it('the exporter reports a failed export to its processor, and logs to its own logger', async () => {
  receiver.setFault({ kind: 'status', status: 400, times: 1 });
  const logger = captureLogger();
  const exporter = new BentoLabsTraceExporter({ apiKey: KEY, baseUrl: receiver.url, logger });
  const provider = new BasicTracerProvider();
  const span = provider.getTracer('t').startSpan('rejected');
  span.end();
  const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
    exporter.export([span as never], resolve),
  );
  expect(result.code).toBe(1);
  expect(result.error?.message).toContain('400');
  expect(exporter.lastOutcome).toMatchObject({ ok: false, httpStatus: 400 });
  expect(logger.at('warn').join('\n')).toContain('HTTP 400');
  await exporter.shutdown();
});

// Loggers of low-level instances are their own: building one must not reconfigure the SDK-wide
// logger that init() set (0.1 pointed the whole SDK at the last hand-built exporter's logger).
describe('low-level instances never reconfigure the SDK-wide logger', () => {
  const sdkLogger = captureLogger();
  /** Something only the SDK-wide logger says: a span update with no open Bento span (debug). */
  const probe = () => {
    updateCurrentSpan({ properties: { probe: 1 } });
    return sdkLogger.matching('debug', /updateCurrentSpan/).length;
  };
  beforeEach(() => {
    sdkLogger.lines.length = 0;
    init({ apiKey: KEY, baseUrl: receiver.url, logger: sdkLogger, logLevel: 'debug', flushOnExit: false });
    expect(probe()).toBe(1);
  });
  afterEach(() => shutdown());

  it('new BentoLabsTraceExporter / BentoLabsSpanProcessor with their own logger or level', async () => {
    const own = captureLogger();
    const exporter = new BentoLabsTraceExporter({
      apiKey: KEY,
      baseUrl: receiver.url,
      logger: own,
      logLevel: 'silent',
    });
    const processor = new BentoLabsSpanProcessor({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    expect(probe()).toBe(2);
    await exporter.shutdown();
    await processor.shutdown();
  });

  it('a hand-built exporter logs to its own logger (console by default), never to the SDK-wide one', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    receiver.setFault({ kind: 'status', status: 400, times: 1 });
    const exporter = new BentoLabsTraceExporter({ apiKey: KEY, baseUrl: receiver.url });
    const span = new BasicTracerProvider().getTracer('t').startSpan('rejected');
    span.end();
    expect(await exporter.exportWithTally([span as never])).toEqual({ exported: 0, rejected: 1, lost: [[0, 1]] });
    expect(warn.mock.calls.join('\n')).toContain('HTTP 400');
    expect(sdkLogger.lines.map((l) => l.message).join('\n')).not.toContain('HTTP 400');
    vi.restoreAllMocks();
    await exporter.shutdown();
  });

  it('runDoctor', async () => {
    const report = await runDoctor({ apiKey: KEY, baseUrl: receiver.url, timeoutMillis: 5000 });
    expect(report.checks.length).toBeGreaterThan(0);
    expect(probe()).toBe(2);
  });
});
