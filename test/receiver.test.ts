import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/receiver.js';

const TRACE_ID = 'ab'.repeat(16);
const SPAN_ID = 'cd'.repeat(8);

const jsonRequest = (name: string): string =>
  JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, name }] }] }] });

/** ExportTraceServiceRequest { resource_spans { scope_spans { spans { trace_id, span_id, name } } } } */
function protoRequest(name: string): Uint8Array<ArrayBuffer> {
  const len = (field: number, bytes: number[]): number[] => [field * 8 + 2, bytes.length, ...bytes];
  const span = [
    ...len(1, [...Buffer.from(TRACE_ID, 'hex')]),
    ...len(2, [...Buffer.from(SPAN_ID, 'hex')]),
    ...len(5, [...Buffer.from(name)]),
  ];
  return Uint8Array.from(len(1, len(2, len(2, span))));
}

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await OtlpReceiver.start();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => receiver.clear());
afterEach(() => receiver.setFault(undefined));

interface PostOptions {
  json?: boolean;
  body?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  path?: string;
}

function post({ json = true, body, headers = {}, signal, path = '/v1/traces' }: PostOptions = {}): Promise<Response> {
  return fetch(`${receiver.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf', ...headers },
    body: body ?? (json ? jsonRequest('span') : protoRequest('span')),
    ...(signal ? { signal } : {}),
  });
}

/** The network error behind a rejected fetch (undici wraps it in `TypeError: fetch failed`). */
async function networkError(request: Promise<Response>): Promise<{ code?: string }> {
  const error = await request.then(
    () => {
      throw new Error('Expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeError);
  return ((error as Error).cause ?? {}) as { code?: string };
}

describe('healthy receiver', () => {
  it('accepts JSON with `{}` and records request and spans', async () => {
    const res = await post({ headers: { authorization: 'Bearer bl_pk_x' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{}');
    expect(receiver.spans.map((s) => s.name)).toEqual(['span']);
    expect(receiver.spanByName('span')).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID });
    expect(receiver.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/traces',
        encoding: 'json',
        bodyBytes: jsonRequest('span').length,
        status: 200,
        accepted: true,
      }),
    ]);
    expect(receiver.requests[0]!.headers.authorization).toBe('Bearer bl_pk_x');
  });

  it('accepts protobuf with an empty ExportTraceServiceResponse', async () => {
    const res = await post({ json: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(receiver.spansByName('span')).toHaveLength(1);
  });

  it('decodes gzip request bodies and counts the bytes on the wire', async () => {
    const gz = gzipSync(jsonRequest('zipped'));
    const res = await post({ body: gz, headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(receiver.spanByName('zipped')).toBeDefined();
    expect(receiver.requests[0]!.bodyBytes).toBe(gz.length);
  });

  it('answers 404, 405, 415 and 400 without accepting anything', async () => {
    expect((await post({ path: '/v1/metrics' })).status).toBe(404);
    expect((await fetch(`${receiver.url}/v1/traces`)).status).toBe(405);
    expect((await post({ headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const bad = await post({ body: '{"resourceSpans": [' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/Malformed JSON/);
    expect(receiver.requests.map((r) => [r.status, r.accepted])).toEqual([
      [404, false],
      [405, false],
      [415, false],
      [400, false],
    ]);
    expect(receiver.spans).toEqual([]);
  });

  it('waitForSpans resolves when spans arrive and reports the count on timeout', async () => {
    const waiting = receiver.waitForSpans(2);
    await post({ body: jsonRequest('a') });
    await post({ body: jsonRequest('b') });
    expect((await waiting).map((s) => s.name)).toEqual(['a', 'b']);
    await expect(receiver.waitForSpans(3, 50)).rejects.toThrow(/Expected 3 span\(s\) within 50 ms, got 2/);
    await expect(receiver.waitForRequests(3, 50)).rejects.toThrow(/got 2/);
  });

  it('clear() forgets requests and spans', async () => {
    await post();
    receiver.clear();
    expect(receiver.requests).toEqual([]);
    expect(receiver.spans).toEqual([]);
  });
});

describe('faults', () => {
  it('status: answers the status with Retry-After, decodes but does not accept the spans', async () => {
    receiver.setFault({ kind: 'status', status: 503, retryAfter: '7', body: 'try later' });
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.text()).toBe('try later');
    expect(receiver.spans).toEqual([]);
    expect(receiver.requests[0]).toMatchObject({
      status: 503,
      accepted: false,
      spans: [expect.objectContaining({ name: 'span' })],
    });
    expect((await post()).status).toBe(503); // no `times`: every request
  });

  it('status with times: reverts to healthy after that many requests', async () => {
    receiver.setFault({ kind: 'status', status: 503, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post()).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(receiver.spans).toHaveLength(1);
  });

  it('reject-protobuf: 415 for protobuf only, for as long as it is set', async () => {
    receiver.setFault({ kind: 'reject-protobuf' });
    expect((await post({ json: false })).status).toBe(415);
    expect((await post({ json: true })).status).toBe(200);
    expect((await post({ json: false })).status).toBe(415);
    expect(receiver.requests.map((r) => r.encoding)).toEqual(['protobuf', 'json', 'protobuf']);
    expect(receiver.spans).toHaveLength(1);
  });

  it('delay: accepts, answering later', async () => {
    receiver.setFault({ kind: 'delay', millis: 50 });
    const res = await post();
    expect(res.status).toBe(200);
    expect(receiver.spans).toHaveLength(1);
  });

  it('delay: a client that gives up first is recorded as not answered, and `times` reverts', async () => {
    receiver.setFault({ kind: 'delay', millis: 60_000, times: 1 });
    await expect(post({ signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const [request] = await receiver.waitForRequests(1);
    expect(request).toMatchObject({ status: 0, accepted: false });
    expect((await post()).status).toBe(200);
    expect(receiver.spans).toHaveLength(1);
  });

  it('hang: never answers until the client aborts, and `times` reverts', async () => {
    receiver.setFault({ kind: 'hang', times: 1 });
    await expect(post({ signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const [request] = await receiver.waitForRequests(1);
    expect(request).toMatchObject({ status: 0, accepted: false });
    expect((await post()).status).toBe(200);
  });

  it('hang: close() destroys the hung connection', async () => {
    const own = await OtlpReceiver.start();
    own.setFault({ kind: 'hang' });
    const pending = fetch(`${own.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: jsonRequest('x'),
    });
    await own.waitForRequests(1);
    await own.close();
    await networkError(pending);
  });

  it('reset: the client sees a connection reset, and `times` reverts', async () => {
    receiver.setFault({ kind: 'reset', times: 1 });
    const cause = await networkError(post());
    expect(cause.code).toBe('ECONNRESET');
    expect(receiver.requests[0]).toMatchObject({ status: 0, accepted: false });
    expect((await post()).status).toBe(200);
  });

  it('close-without-answer: reads the body, closes, and `times` reverts', async () => {
    receiver.setFault({ kind: 'close-without-answer', times: 1 });
    const cause = await networkError(post());
    expect(cause.code).toBe('UND_ERR_SOCKET');
    expect(receiver.requests[0]).toMatchObject({ status: 0, accepted: false, bodyBytes: jsonRequest('span').length });
    expect(receiver.requests[0]!.spans.map((s) => s.name)).toEqual(['span']);
    expect((await post()).status).toBe(200);
  });

  it('max-body: 413 above the limit, accepted at or below it', async () => {
    const small = protoRequest('s');
    receiver.setFault({ kind: 'max-body', bytes: small.length });
    expect((await post({ json: false, body: small })).status).toBe(200);
    const large = await post({ json: false, body: protoRequest('a much longer span name') });
    expect(large.status).toBe(413);
    expect(receiver.requests[1]).toMatchObject({
      status: 413,
      accepted: false,
      bodyBytes: protoRequest('a much longer span name').length,
    });
    expect(receiver.spans.map((s) => s.name)).toEqual(['s']);
  });

  it('setFault(undefined) makes the receiver healthy again', async () => {
    receiver.setFault({ kind: 'status', status: 500 });
    expect((await post()).status).toBe(500);
    receiver.setFault(undefined);
    expect((await post()).status).toBe(200);
  });
});
