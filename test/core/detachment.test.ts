/**
 * SPEC §5: Bento spans ignore the host's active OpenTelemetry context, never reach the host's
 * exporters, never touch the OpenTelemetry globals, and our export requests are not traced by the
 * host's HTTP instrumentation. The HTTP part runs as a child process (test/fixtures/core/
 * detach-http.mjs against the built dist), because HttpInstrumentation must patch `http` before
 * our transport loads it, which cannot be arranged inside vitest's module graph.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { begin, flush, init, shutdown, toolSpan, trackAi } from '../../src/index.js';
import { KEY, useReceiver } from './helpers.js';

const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const apiRegistry = () =>
  ({ ...((globalThis as Record<symbol, object | undefined>)[API_GLOBAL] ?? {}) }) as Record<string, unknown>;

const receiver = useReceiver();

describe('no OpenTelemetry globals are set', () => {
  it('init, recording, flush and shutdown leave the API registry untouched (no host)', async () => {
    const before = apiRegistry();
    const providerBefore = trace.getTracerProvider();
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    trackAi({ event: 'x' });
    begin({ event: 'y' }, () => toolSpan('z', {}, () => 1));
    await flush();
    await shutdown();
    expect(receiver.spans).toHaveLength(3);
    expect(apiRegistry()).toEqual(before);
    expect(trace.getTracerProvider()).toBe(providerBefore);
    // Nothing became the global tracer: a host tracer is still the no-op one.
    expect(trace.getTracer('host').startSpan('h').isRecording()).toBe(false);
  });
});

describe('with a registered host provider', () => {
  let hostProvider: NodeTracerProvider;
  let hostExporter: InMemorySpanExporter;

  beforeAll(() => {
    hostExporter = new InMemorySpanExporter();
    hostProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(hostExporter)] });
    hostProvider.register();
  });
  afterAll(async () => {
    await hostProvider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => hostExporter.reset());

  it('Bento spans recorded inside an active host span are roots of their own traces', async () => {
    const registryBefore = apiRegistry();
    const providerBefore = trace.getTracerProvider();
    const propagatorFields = propagation.fields();
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    const host = trace.getTracer('host-app');
    let hostTraceId = '';
    let hostSpanId = '';
    await host.startActiveSpan('host-request', async (hostSpan) => {
      hostTraceId = hostSpan.spanContext().traceId;
      hostSpanId = hostSpan.spanContext().spanId;
      trackAi({ event: 'track' });
      await begin({ event: 'traj' }, async () => {
        // A host span opened inside our trajectory is the host's business; ours stay ours.
        await host.startActiveSpan('host-inner', async (inner) => {
          trackAi({ event: 'child' });
          inner.end();
        });
      });
      toolSpan('tool').end();
      hostSpan.end();
    });
    const result = await flush();
    expect(result.ok).toBe(true);
    const byName = new Map(receiver.spans.map((s) => [s.name, s]));
    for (const name of ['track', 'traj', 'tool']) {
      const span = byName.get(name);
      expect(span, name).toBeDefined();
      expect(span?.parentSpanId, name).toBeUndefined();
      expect(span?.traceId, name).not.toBe(hostTraceId);
    }
    // The only parent a Bento span can have is a Bento span.
    expect(byName.get('child')?.parentSpanId).toBe(byName.get('traj')?.spanId);
    expect(receiver.spans.some((s) => s.parentSpanId === hostSpanId)).toBe(false);
    // The host's exporter saw its own spans only.
    await hostProvider.forceFlush();
    expect(
      hostExporter
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['host-inner', 'host-request']);
    // And its globals are still its own.
    expect(trace.getTracerProvider()).toBe(providerBefore);
    expect(apiRegistry()).toEqual(registryBefore);
    expect(propagation.fields()).toEqual(propagatorFields);
  });
});

describe('our export requests are invisible to the host’s HTTP instrumentation (child process)', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const fixture = fileURLToPath(new URL('../fixtures/core/detach-http.mjs', import.meta.url));

  beforeAll(() => {
    if (!existsSync(`${root}dist/index.js`) || !existsSync(`${root}dist/index.cjs`))
      throw new Error('dist/ is missing: run `npx tsup` before this test');
  });

  interface FixtureOutput {
    mode: string;
    hostTraceId: string;
    hostSpanId: string;
    ids: Record<string, string>;
    flushResult: { ok: boolean; exported: number };
    hostSpans: { name: string; kind: number; traceId: string; spanId: string; url: string | null }[];
    globalsUnchanged: boolean;
  }

  function runFixture(mode: 'esm' | 'cjs'): Promise<FixtureOutput> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [fixture, mode],
        { cwd: root, env: { ...process.env, RECEIVER_URL: receiver.url }, timeout: 30_000 },
        (error, stdout, stderr) => {
          if (error) return reject(new Error(`fixture failed: ${error.message}\n${stderr}`));
          try {
            resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as FixtureOutput);
          } catch {
            reject(new Error(`fixture printed no JSON:\n${stdout}\n${stderr}`));
          }
        },
      );
    });
  }

  it.each(['esm', 'cjs'] as const)('%s build', async (mode) => {
    const out = await runFixture(mode);
    // The instrumentation is live: the host's own request was traced and carried traceparent.
    const control = receiver.requests.find((r) => r.path === '/control');
    expect(control?.headers.traceparent).toMatch(new RegExp(`^00-${out.hostTraceId}-[0-9a-f]{16}-0[01]$`));
    const clientSpans = out.hostSpans.filter((s) => s.kind === 2);
    expect(clientSpans.length).toBe(1);
    expect(clientSpans[0]?.url ?? '').toContain('/control');
    // Our export: delivered, without traceparent, and no client span of it in the host's trace.
    expect(out.flushResult.ok).toBe(true);
    const exports = receiver.requests.filter((r) => r.path === '/v1/traces');
    expect(exports.length).toBeGreaterThan(0);
    for (const r of exports) {
      expect(r.headers.traceparent).toBeUndefined();
      expect(r.headers.tracestate).toBeUndefined();
      expect(r.headers.baggage).toBeUndefined();
    }
    expect(out.hostSpans.some((s) => (s.url ?? '').includes('/v1/traces'))).toBe(false);
    expect(out.hostSpans.map((s) => s.name)).not.toEqual(expect.arrayContaining(['bento-track']));
    // Our spans are roots of their own traces, not children of the host span.
    const ours = receiver.spans;
    expect(ours.map((s) => s.name).sort()).toEqual(['bento-child', 'bento-tool', 'bento-track', 'bento-traj']);
    for (const s of ours.filter((x) => x.name !== 'bento-child')) {
      expect(s.parentSpanId).toBeUndefined();
      expect(s.traceId).not.toBe(out.hostTraceId);
    }
    expect(ours.find((s) => s.name === 'bento-track')?.spanId).toBe(out.ids.track);
    expect(ours.find((s) => s.name === 'bento-child')?.parentSpanId).toBe(out.ids.traj);
    // None of our spans reached the host exporter.
    const ourIds = new Set(ours.map((s) => s.spanId));
    expect(out.hostSpans.filter((s) => ourIds.has(s.spanId))).toEqual([]);
    expect(out.globalsUnchanged).toBe(true);
  });
});
