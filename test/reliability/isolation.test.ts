/**
 * Isolation from a host app that runs its own OpenTelemetry: a NodeTracerProvider registered
 * globally (W3C propagation), HttpInstrumentation, and an InMemorySpanExporter. HttpInstrumentation
 * must patch `http` before anything loads it, which vitest's in-process module graph cannot
 * promise, so the host runs as a child process (test/fixtures/reliability/isolation.mjs, on the
 * built dist/, in ESM and CJS) and this test checks what it reports and what the receiver saw:
 * - no Bento span and no Bento attribute ever reaches the host's exporter;
 * - our export requests carry no `traceparent` (and make no host span);
 * - the host's own requests made inside a Bento trajectory carry the HOST's trace id, never ours.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../support/receiver.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'reliability', 'isolation.mjs');
const BENTO_ATTRIBUTE =
  /^(gen_ai\.|input\.value$|output\.value$|openinference\.|langfuse\.|bentolabs\.|faas\.invocation_id$|secret_prop$)/;
const LABELS = [
  'host-only',
  'in-trajectory',
  'in-tool',
  'in-nested',
  'after-handle-begin',
  'in-lambda',
  'no-host-span',
];

interface Report {
  mode: string;
  expected: Record<string, string | null>;
  flushResult: { ok: boolean; exported: number };
  hostSpans: {
    name: string;
    traceId: string;
    spanId: string;
    parentSpanId: string | null;
    attributeKeys: string[];
    url: string | null;
    scope: string;
  }[];
}

function runFixture(mode: 'esm' | 'cjs', receiverUrl: string): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [FIXTURE, mode],
      { cwd: ROOT, env: { ...process.env, RECEIVER_URL: receiverUrl }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`isolation fixture (${mode}) failed: ${error.message}\n${stderr}`));
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as Report);
        } catch {
          reject(new Error(`isolation fixture (${mode}) printed no JSON: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const traceparentTraceId = (value: unknown) => (typeof value === 'string' ? (value.split('-')[1] ?? null) : null);

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js')) || !fs.existsSync(path.join(ROOT, 'dist', 'lambda.cjs')))
    throw new Error('dist/ is missing: run `npx tsup` first.');
});

describe.each(['esm', 'cjs'] as const)('a host with its own OpenTelemetry (%s build)', { timeout: 40_000 }, (mode) => {
  let receiver: OtlpReceiver;
  let report: Report;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    report = await runFixture(mode, receiver.url);
  });
  afterAll(async () => {
    await receiver.close();
  });

  const bentoSpans = () => receiver.spans;
  const exportRequests = () => receiver.requests.filter((r) => r.path === '/v1/traces');
  const hostRequest = (label: string) => receiver.requests.find((r) => r.path === `/host/${label}`);

  it('the scenario ran: Bento spans were delivered, and the host instrumentation was live', () => {
    expect(report.flushResult.ok).toBe(true);
    expect(bentoSpans().map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'bento-traj',
        'bento-llm',
        'bento-tool',
        'bento-nested',
        'bento-handle',
        'bento-in-lambda',
        'bento-no-host',
      ]),
    );
    // Every host request produced a host CLIENT span: the instrumentation patched http in time.
    for (const label of LABELS)
      expect(
        report.hostSpans.some((s) => s.url?.includes(`/host/${label}`)),
        label,
      ).toBe(true);
  });

  it('no Bento span and no Bento attribute ever reaches the host exporter', () => {
    const bentoNames = new Set(bentoSpans().map((s) => s.name));
    const bentoTraceIds = new Set(bentoSpans().map((s) => s.traceId));
    const bentoSpanIds = new Set(bentoSpans().map((s) => s.spanId));
    for (const span of report.hostSpans) {
      expect(bentoNames.has(span.name), span.name).toBe(false);
      expect(span.scope).not.toMatch(/bentolabs/);
      expect(
        span.attributeKeys.filter((k) => BENTO_ATTRIBUTE.test(k)),
        span.name,
      ).toEqual([]);
      expect(bentoTraceIds.has(span.traceId), `${span.name} is in a Bento trace`).toBe(false);
      expect(
        span.parentSpanId === null || !bentoSpanIds.has(span.parentSpanId),
        `${span.name} has a Bento parent`,
      ).toBe(true);
    }
    // Our export requests are not host spans either.
    expect(report.hostSpans.filter((s) => s.url?.includes('/v1/traces'))).toEqual([]);
  });

  it('our export requests carry no traceparent (nor any other propagation header)', () => {
    expect(exportRequests().length).toBeGreaterThan(0);
    for (const request of exportRequests()) {
      expect(request.headers.traceparent).toBeUndefined();
      expect(request.headers.tracestate).toBeUndefined();
      expect(request.headers.baggage).toBeUndefined();
    }
  });

  it("no Bento span has a host span as its parent, and no Bento trace is the host's", () => {
    const hostSpanIds = new Set(report.hostSpans.map((s) => s.spanId));
    const hostTraceIds = new Set(report.hostSpans.map((s) => s.traceId));
    for (const span of bentoSpans()) {
      expect(span.parentSpanId === undefined || !hostSpanIds.has(span.parentSpanId), span.name).toBe(true);
      expect(hostTraceIds.has(span.traceId), span.name).toBe(false);
    }
  });

  it.each(LABELS)('the host\'s own request "%s" carries the HOST trace id, never a Bento one', (label) => {
    const request = hostRequest(label);
    expect(request, `request /host/${label} reached the receiver`).toBeDefined();
    const traceId = traceparentTraceId(request?.headers.traceparent);
    expect(traceId, 'a traceparent header from the host propagator').toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(bentoSpans().map((s) => s.traceId)).has(traceId as string)).toBe(false);
    const expected = report.expected[label];
    if (label === 'no-host-span') {
      // No host span was active: the host's instrumentation started a fresh trace (a root CLIENT span).
      expect(expected).toBeNull();
      const client = report.hostSpans.find((s) => s.url?.includes(`/host/${label}`));
      expect(client?.traceId).toBe(traceId);
      expect(client?.parentSpanId ?? null).toBeNull();
    } else {
      expect(expected).toBe(report.expected.hostTraceId);
      expect(traceId).toBe(report.expected.hostTraceId);
    }
  });
});
