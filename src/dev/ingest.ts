/**
 * `POST /v1/traces` of the local endpoint, answering like the hosted service: the same bearer-key
 * checks (401 for a missing or malformed key, 403 for the wrong one), 415 for encodings it does
 * not take, and an empty `ExportTraceServiceResponse` on success.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_KEY_PREFIX, redactKey } from '../core/api-key.js';
import { decodeTraceRequest, encodingOf, OtlpDecodeError, type OtlpEncoding } from './otlp.js';
import type { SpanStore, StoredSpan } from './store.js';

export interface IngestOptions {
  /** When set, only this exact key is accepted (403 otherwise). */
  apiKey?: string;
  /** Answer 415 to protobuf bodies, like an endpoint that only speaks OTLP/JSON (for testing). */
  rejectProtobuf?: boolean;
  /** Largest request body on the wire. @default 32 MiB */
  maxBodyBytes?: number;
}

export interface Accepted {
  spans: StoredSpan[];
  encoding: OtlpEncoding;
  compressed: boolean;
}

/** Why a request was refused; the CLI prints it so the user sees why spans did not land. */
export interface Rejection {
  status: number;
  error: string;
  message: string;
}

/** Checks the `Authorization` header the way the hosted service does; `undefined` = accepted. */
export function checkAuth(header: string | undefined, requiredKey: string | undefined): Rejection | undefined {
  if (!header) {
    return {
      status: 401,
      error: 'missing_api_key',
      message:
        'No Authorization header. Send `Authorization: Bearer bl_pk_…`; the SDK does this from `apiKey` or BENTOLABS_API_KEY.',
    };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const key = match?.[1];
  if (!key?.startsWith(API_KEY_PREFIX) || key.length === API_KEY_PREFIX.length) {
    const got = key ? redactKey(key) : 'a header that is not `Bearer <key>`';
    return {
      status: 401,
      error: 'invalid_api_key_format',
      message: `Expected \`Authorization: Bearer bl_pk_…\`, got ${got}. BentoLabs keys start with bl_pk_.`,
    };
  }
  if (requiredKey !== undefined && key !== requiredKey) {
    return {
      status: 403,
      error: 'api_key_rejected',
      message: `This endpoint only accepts the key ${redactKey(requiredKey)} (--api-key); the request used ${redactKey(key)}.`,
    };
  }
  return undefined;
}

/**
 * Reads the body, stopping as soon as it passes `limit`: nothing past the limit is buffered, so a
 * client that sends (or claims to send) a huge body costs no memory.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return resolve('too-large');
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      chunks.length = 0;
      resolve('too-large');
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * After answering without reading the body (refused before it was read, or too large): discard
 * at most `limit` more bytes so an ordinary client still reads the answer instead of a reset,
 * then close the connection. Nothing is buffered.
 */
function discardBody(req: IncomingMessage, limit: number): void {
  if (req.complete) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limit) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Largest body `handleExport` reads unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Handles one export request. Resolves with the stored spans, or the rejection that was answered.
 * Everything that depends only on the headers (the key, the content type, a declared size) is
 * checked before a byte of the body is read, and the body is never buffered past the size limit:
 * an unauthenticated client cannot make the endpoint hold its upload in memory.
 */
export async function handleExport(
  req: IncomingMessage,
  res: ServerResponse,
  store: SpanStore,
  options: IngestOptions,
): Promise<Accepted | Rejection> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const reject = (r: Rejection, headers: Record<string, string> = {}): Rejection => {
    // The body may be unread: close the connection after the answer rather than parse what follows.
    const unread = !req.complete;
    sendJson(
      res,
      r.status,
      { error: r.error, message: r.message },
      unread ? { ...headers, connection: 'close' } : headers,
    );
    if (unread) discardBody(req, limit);
    return r;
  };
  const denied = checkAuth(req.headers.authorization, options.apiKey);
  if (denied) return reject(denied, denied.status === 401 ? { 'www-authenticate': 'Bearer' } : {});

  const contentType = req.headers['content-type'];
  const encoding = encodingOf(contentType);
  if (!encoding || (encoding === 'protobuf' && options.rejectProtobuf)) {
    const accepted = options.rejectProtobuf ? 'application/json' : 'application/x-protobuf or application/json';
    return reject({
      status: 415,
      error: 'unsupported_media_type',
      message: `Expected Content-Type ${accepted}, got \`${contentType ?? '(none)'}\`.`,
    });
  }
  const body = await readBody(req, limit);
  if (body === 'too-large')
    return reject({
      status: 413,
      error: 'payload_too_large',
      message: `The request body is larger than this endpoint accepts (${limit} bytes); send smaller batches.`,
    });

  let spans: ReturnType<typeof decodeTraceRequest>;
  try {
    spans = decodeTraceRequest(body, encoding, req.headers['content-encoding']);
  } catch (error) {
    if (!(error instanceof OtlpDecodeError)) throw error;
    return reject({
      status: 400,
      error: 'bad_request',
      message: `Could not decode the OTLP ${encoding} body: ${error.message}`,
    });
  }
  // Stored (and written to the file) before the 200: an exporter that saw the answer can rely on it.
  const stored = store.add(spans);
  if (encoding === 'protobuf') {
    // An empty ExportTraceServiceResponse encodes to zero bytes.
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  } else {
    sendJson(res, 200, {});
  }
  return {
    spans: stored,
    encoding,
    compressed:
      Boolean(req.headers['content-encoding'] && req.headers['content-encoding'] !== 'identity') ||
      (body[0] === 0x1f && body[1] === 0x8b),
  };
}
