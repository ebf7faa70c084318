/**
 * The two transports behind `#transport` — `node:http` (Node.js) and `fetch` (Workers, Vercel
 * Edge, Deno, Bun) — under the one retry core, against the real receiver: each case runs on both,
 * so the semantics cannot drift apart. The exporter-level behaviour over the fetch transport is
 * covered by running the pipeline and fault suites with BENTOLABS_TEST_TRANSPORT=fetch, and in
 * the real runtimes by test/edge.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postOnce as fetchPost } from '../../src/core/transport-fetch.js';
import { postOnce as nodePost } from '../../src/core/transport-node.js';
import { createSender } from '../../src/core/transport.js';
import { useReceiver } from './helpers.js';

const EMPTY_JSON = new TextEncoder().encode('{"resourceSpans":[]}');
const JSON_HEADERS = { 'Content-Type': 'application/json', Authorization: 'Bearer bl_pk_test_transport' };
const PROTOBUF_HEADERS = { 'Content-Type': 'application/x-protobuf', Authorization: 'Bearer bl_pk_test_transport' };

// Not the SDK's client: only the receiver's hooks (a fresh, healthy receiver for each test).
const receiver = useReceiver({ shutdownAfterEach: false });

describe.each([
  ['node:http', nodePost],
  ['fetch', fetchPost],
])('%s transport', (_name, post) => {
  const send = createSender(post);
  const traces = () => `${receiver.url}/v1/traces`;
  const within = (millis: number) => Date.now() + millis;

  it('POSTs the body with its headers and returns the response body', async () => {
    const outcome = await send(traces(), EMPTY_JSON, JSON_HEADERS, within(5000));
    expect(outcome).toMatchObject({ ok: true, status: 200, attempts: 1 });
    expect(outcome.body).toBeInstanceOf(Uint8Array);
    const [request] = receiver.requests;
    expect(request?.headers.authorization).toBe('Bearer bl_pk_test_transport');
    expect(request?.encoding).toBe('json');
    expect(request?.bodyBytes).toBe(EMPTY_JSON.byteLength);
  });

  it('retries 503 and network errors (reset, closed without answer) until it succeeds', async () => {
    receiver.setFault({ kind: 'status', status: 503, times: 1 });
    expect(await send(traces(), EMPTY_JSON, JSON_HEADERS, within(5000))).toMatchObject({ ok: true, attempts: 2 });
    receiver.setFault({ kind: 'close-without-answer', times: 1 });
    expect(await send(traces(), EMPTY_JSON, JSON_HEADERS, within(5000))).toMatchObject({ ok: true, attempts: 2 });
  });

  it('honours Retry-After in seconds and as an HTTP date; gives up when it is past the deadline', async () => {
    receiver.setFault({ kind: 'status', status: 429, retryAfter: '0', times: 1 });
    expect(await send(traces(), EMPTY_JSON, JSON_HEADERS, within(5000))).toMatchObject({ ok: true, attempts: 2 });
    receiver.setFault({ kind: 'status', status: 503, retryAfter: new Date(Date.now() - 1000).toUTCString(), times: 1 });
    expect(await send(traces(), EMPTY_JSON, JSON_HEADERS, within(5000))).toMatchObject({ ok: true, attempts: 2 });
    receiver.setFault({ kind: 'status', status: 503, retryAfter: '60', times: 1 });
    const late = await send(traces(), EMPTY_JSON, JSON_HEADERS, within(2000));
    expect(late).toMatchObject({ ok: false, status: 503, attempts: 1 });
    expect(late.error).toMatch(/Retry-After 60000 ms is past the export deadline/);
  });

  it('does not retry other statuses; the error carries the status and the start of the body', async () => {
    receiver.setFault({ kind: 'status', status: 401, body: 'bad key', times: 1 });
    const outcome = await send(traces(), EMPTY_JSON, JSON_HEADERS, within(5000));
    expect(outcome).toMatchObject({ ok: false, status: 401, attempts: 1, error: 'HTTP 401: bad key' });
  });

  it('reports 415 (protobuf refused) and 413 (too large) to the exporter, which falls back / splits', async () => {
    receiver.setFault({ kind: 'reject-protobuf' });
    expect(await send(traces(), new Uint8Array(0), PROTOBUF_HEADERS, within(5000))).toMatchObject({
      ok: false,
      status: 415,
    });
    receiver.setFault({ kind: 'max-body', bytes: 4 });
    expect(await send(traces(), EMPTY_JSON, JSON_HEADERS, within(5000))).toMatchObject({ ok: false, status: 413 });
  });

  it('a hung endpoint: the attempt ends at the deadline with a timeout error', async () => {
    receiver.setFault({ kind: 'hang' });
    const outcome = await send(traces(), EMPTY_JSON, JSON_HEADERS, within(300));
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/timed out after \d+ ms/);
  });

  it('connection refused: the socket error code is reported, retried until the deadline', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const outcome = await send(`http://127.0.0.1:${port}/v1/traces`, EMPTY_JSON, JSON_HEADERS, within(400));
    expect(outcome.ok).toBe(false);
    expect(outcome.attempts).toBeGreaterThan(1);
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });

  it('a redirect is an answer, not followed (the Authorization header never travels elsewhere)', async () => {
    const other = createServer((req, res) => {
      res.writeHead(307, { location: `${receiver.url}/v1/traces` });
      res.end();
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const outcome = await send(`http://127.0.0.1:${port}/v1/traces`, EMPTY_JSON, JSON_HEADERS, within(3000));
      expect(outcome).toMatchObject({ ok: false, status: 307, attempts: 1 });
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
