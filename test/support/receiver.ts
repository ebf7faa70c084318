/**
 * A real OTLP/HTTP trace receiver on 127.0.0.1 for tests: it decodes exactly what an exporter
 * sent, and can misbehave on purpose (status codes, 415 for protobuf, delays, hangs, resets).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeTraceRequest, encodingOf, OtlpDecodeError } from '../../src/dev/otlp.js';
import type { OtlpEncoding, ReceivedSpan } from '../../src/dev/otlp.js';

export type Fault =
  /** Answer this status (`times` = how many requests, default every request). */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; times?: number }
  /** Answer 415 to application/x-protobuf, accept JSON. */
  | { kind: 'reject-protobuf' }
  /** Accept, but answer after `millis`. */
  | { kind: 'delay'; millis: number; times?: number }
  /** Never answer (until the client gives up or the receiver closes). */
  | { kind: 'hang'; times?: number }
  /** Reset the TCP connection as soon as the first body bytes arrive. */
  | { kind: 'reset'; times?: number }
  /** Read the whole body, then close the socket without a response. */
  | { kind: 'close-without-answer'; times?: number }
  /** Answer 413 when the body exceeds `bytes`. */
  | { kind: 'max-body'; bytes: number };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  encoding?: OtlpEncoding;
  /** Bytes on the wire, i.e. before decompression. */
  bodyBytes: number;
  /** What the body decoded to, even when the request was refused by a fault. */
  spans: ReceivedSpan[];
  /** The HTTP status answered; 0 when no answer was sent (hang, reset, close, client gone). */
  status: number;
  accepted: boolean;
  /** `performance.now()` when the answer was sent; compare with a freeze to tell what was delivered. */
  answeredAt?: number;
}

interface Waiter {
  check(): boolean;
  fail(): void;
}

const TRACES_PATH = '/v1/traces';

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly spans: ReceivedSpan[] = [];
  private fault: { value: Fault; remaining: number } | undefined;
  /** Every accepted export is answered this much later (a receiver that far away), unless a fault applies. */
  latencyMillis = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on 127.0.0.1 (an ephemeral port unless `port` is given). */
  static async start(options: { port?: number } = {}): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => receiver?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${port}`);
    return receiver;
  }

  setFault(fault: Fault | undefined): void {
    const times = fault && 'times' in fault ? fault.times : undefined;
    this.fault = fault && { value: fault, remaining: times ?? Infinity };
  }

  clear(): void {
    this.requests.length = 0;
    this.spans.length = 0;
  }

  waitForSpans(count: number, timeoutMillis = 5000): Promise<ReceivedSpan[]> {
    return this.waitFor(
      () => this.spans.length >= count,
      () => [...this.spans],
      timeoutMillis,
      () => `Expected ${count} span(s) within ${timeoutMillis} ms, got ${this.spans.length}`,
    );
  }

  waitForRequests(count: number, timeoutMillis = 5000): Promise<ReceivedRequest[]> {
    return this.waitFor(
      () => this.requests.length >= count,
      () => [...this.requests],
      timeoutMillis,
      () => `Expected ${count} request(s) within ${timeoutMillis} ms, got ${this.requests.length}`,
    );
  }

  spanByName(name: string): ReceivedSpan | undefined {
    return this.spans.find((s) => s.name === name);
  }

  spansByName(name: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.name === name);
  }

  /** Stops listening and destroys every open connection, hung ones included. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of [...this.waiters]) waiter.fail();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private waitFor<T>(done: () => boolean, result: () => T, timeoutMillis: number, describe: () => string): Promise<T> {
    if (done()) return Promise.resolve(result());
    return new Promise<T>((resolve, reject) => {
      const summary = (): string => {
        const statuses = this.requests.map((r) => r.status).join(', ') || 'none';
        const names = this.spans.map((s) => s.name).join(', ') || 'none';
        return `${describe()} (spans: ${names}; request statuses: ${statuses})`;
      };
      const waiter: Waiter = {
        check: () => {
          if (!done()) return false;
          settle();
          resolve(result());
          return true;
        },
        fail: () => {
          settle();
          reject(new Error(`Receiver closed. ${summary()}`));
        },
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(summary()));
      }, timeoutMillis);
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** Takes the current fault for one request, counting down `times`. */
  private takeFault(encoding: OtlpEncoding | undefined): Fault | undefined {
    const current = this.fault;
    if (!current) return undefined;
    // reject-protobuf and max-body are standing conditions, not one-shot faults.
    if (current.value.kind === 'reject-protobuf') return encoding === 'protobuf' ? current.value : undefined;
    if (current.value.kind === 'max-body') return current.value;
    current.remaining -= 1;
    if (current.remaining <= 0) this.fault = undefined;
    return current.value;
  }

  private record(request: ReceivedRequest): void {
    this.requests.push(request);
    if (request.accepted) this.spans.push(...request.spans);
    for (const waiter of [...this.waiters]) waiter.check();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const encoding = encodingOf(req.headers['content-type']);
    const request: ReceivedRequest = {
      method: req.method ?? '',
      path,
      headers: { ...req.headers },
      encoding,
      bodyBytes: 0,
      spans: [],
      status: 0,
      accepted: false,
    };
    const isTraces = path === TRACES_PATH && req.method === 'POST';
    const taken = isTraces ? this.takeFault(encoding) : undefined;
    const fault: Fault | undefined =
      taken ?? (isTraces && this.latencyMillis > 0 ? { kind: 'delay', millis: this.latencyMillis } : undefined);

    if (fault?.kind === 'reset') {
      let done = false;
      const reset = (): void => {
        if (done) return;
        done = true;
        this.record(request);
        // A TCP RST, not a polite FIN, so the client sees ECONNRESET as with a crashed proxy.
        req.socket.resetAndDestroy();
      };
      req.once('data', (chunk: Buffer) => {
        request.bodyBytes = chunk.length;
        reset();
      });
      req.once('end', reset);
      return;
    }

    const limit = fault?.kind === 'max-body' ? fault.bytes : Infinity;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      request.bodyBytes += chunk.length;
      // Keep reading past the limit (answering mid-upload makes clients see EPIPE instead of 413).
      if (request.bodyBytes <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (!isTraces) {
        this.answer(res, request, path === TRACES_PATH ? 405 : 404, `No ${req.method} handler for ${path}`);
        return;
      }
      const body = Buffer.concat(chunks);
      this.finish(req, res, request, fault, body);
    });
  }

  private finish(
    req: IncomingMessage,
    res: ServerResponse,
    request: ReceivedRequest,
    fault: Fault | undefined,
    body: Buffer,
  ): void {
    const { encoding } = request;
    if (fault?.kind === 'max-body' && request.bodyBytes > fault.bytes) {
      this.answer(res, request, 413, `Body of ${request.bodyBytes} bytes exceeds ${fault.bytes}`);
      return;
    }
    if (encoding === undefined) {
      this.answer(res, request, 415, `Unsupported content-type ${String(req.headers['content-type'])}`);
      return;
    }
    let decodeError: unknown;
    try {
      request.spans = decodeTraceRequest(body, encoding, header(req.headers['content-encoding']));
    } catch (error) {
      decodeError = error;
    }

    switch (fault?.kind) {
      case 'hang':
        this.record(request);
        return;
      case 'close-without-answer':
        this.record(request);
        req.socket.destroy();
        return;
      case 'status':
        this.answer(res, request, fault.status, fault.body ?? '', fault.retryAfter);
        return;
      case 'reject-protobuf':
        this.answer(res, request, 415, 'Protobuf is not supported here, send application/json');
        return;
    }
    if (decodeError !== undefined) {
      const known = decodeError instanceof OtlpDecodeError;
      this.answer(res, request, known ? 400 : 500, (decodeError as Error).message);
      return;
    }
    if (fault?.kind === 'delay') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.answer(res, request, 200);
      }, fault.millis);
      this.timers.add(timer);
      // A client that gives up first got no answer, so its spans count as not accepted.
      res.once('close', () => {
        if (res.writableEnded) return;
        clearTimeout(timer);
        this.timers.delete(timer);
        this.record(request);
      });
      return;
    }
    this.answer(res, request, 200);
  }

  private answer(res: ServerResponse, request: ReceivedRequest, status: number, text = '', retryAfter?: string): void {
    let body: string | Buffer = text;
    let contentType = text.trimStart().startsWith('{') ? 'application/json' : 'text/plain';
    if (status >= 200 && status < 300 && text === '') {
      // An empty ExportTraceServiceResponse: `{}` in JSON, zero bytes in protobuf.
      const json = request.encoding === 'json';
      body = json ? '{}' : Buffer.alloc(0);
      contentType = json ? 'application/json' : 'application/x-protobuf';
    }
    const headers: Record<string, string | number> = {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
    };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    request.status = status;
    request.accepted = status >= 200 && status < 300;
    request.answeredAt = performance.now();
    res.writeHead(status, headers).end(body);
    this.record(request);
  }
}

/** The same as {@link OtlpReceiver.start}, for call sites that prefer a function. */
export function startReceiverServer(options?: { port?: number }): Promise<OtlpReceiver> {
  return OtlpReceiver.start(options);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
