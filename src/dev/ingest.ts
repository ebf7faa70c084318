/**
 * `POST /v1/traces` of the local endpoint, answering like the hosted service: the same bearer-key
 * checks (401 for a missing or malformed key, 403 for the wrong one), 415 for encodings it does
 * not take, and an empty `ExportTraceServiceResponse` on success.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeTraceRequest, encodingOf, OtlpDecodeError, type OtlpEncoding } from './otlp.js';
import type { SpanStore, StoredSpan } from './store.js';

const KEY_PREFIX = 'bl_pk_';

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

/** `bl_pk_…abcd`, never the whole key. */
export function redact(key: string): string {
  if (!key.startsWith(KEY_PREFIX)) return `${key.slice(0, 3)}… (${key.length} chars)`;
  return key.length >= KEY_PREFIX.length + 8 ? `${KEY_PREFIX}…${key.slice(-4)}` : `${KEY_PREFIX}…`;
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
  if (!key?.startsWith(KEY_PREFIX) || key.length === KEY_PREFIX.length) {
    const got = key ? redact(key) : 'a header that is not `Bearer <key>`';
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
      message: `This endpoint only accepts the key ${redact(requiredKey)} (--api-key); the request used ${redact(key)}.`,
    };
  }
  return undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
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

/**
 * Handles one export request. Resolves with the stored spans, or the rejection that was answered.
 * The body is always read to the end first, so a refused client sees the status, not a reset.
 */
export async function handleExport(
  req: IncomingMessage,
  res: ServerResponse,
  store: SpanStore,
  options: IngestOptions,
): Promise<Accepted | Rejection> {
  const body = await readBody(req, options.maxBodyBytes ?? 32 * 1024 * 1024);
  const reject = (r: Rejection, headers: Record<string, string> = {}): Rejection => {
    sendJson(res, r.status, { error: r.error, message: r.message }, headers);
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
  if (body === 'too-large')
    return reject({
      status: 413,
      error: 'payload_too_large',
      message: 'The request body is larger than this endpoint accepts; send smaller batches.',
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
