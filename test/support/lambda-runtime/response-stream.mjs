// Response streaming as the Lambda Node.js runtime exposes it to user code: the
// `awslambda` global, the marker `streamifyResponse` puts on a handler, and a writable
// response stream. Ours collects the bytes in memory instead of sending them to RAPID.
import { Writable } from 'node:stream';

// The runtime recognises streaming handlers by these registry symbols (not by arity), so a
// handler wrapped by any library keeps working as long as the symbol survives on the function.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
// Function URLs / API Gateway split the JSON prelude from the body on 8 NUL bytes.
const DELIMITER_LENGTH = 8;

function runtimeError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    // Like the runtime, the prelude goes out lazily with the first write(): metadata can
    // still be decided after `from()` as long as nothing has been written yet.
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(DELIMITER_LENGTH));
    };
    return underlyingStream;
  }
}

/** Defines `globalThis.awslambda` before the handler module is imported, as the runtime does. */
export function installAwsLambdaGlobal() {
  globalThis.awslambda = {
    ...globalThis.awslambda,
    streamifyResponse(handler, options) {
      handler[STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') {
        handler[HIGH_WATER_MARK] = Math.trunc(options.highWaterMark);
      }
      return handler;
    },
    HttpResponseStream,
  };
}

export function isStreamingHandler(handler) {
  const marker = handler[STREAMING];
  if (marker === undefined || marker === null || marker === false) return false;
  if (marker === STREAM_RESPONSE) return true;
  throw runtimeError('Runtime.MalformedStreamingHandler', 'Only response streaming is supported.');
}

export function streamingHighWaterMark(handler) {
  const value = Number(handler[HIGH_WATER_MARK]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export class CollectingResponseStream extends Writable {
  #chunks = [];
  #writeCalled = false;
  #contentType = 'application/octet-stream';

  constructor(highWaterMark) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
    /** Set by HttpResponseStream.from(); public because user libraries poke it too. */
    this._onBeforeFirstWrite = undefined;
  }

  setContentType(contentType) {
    // The real stream has already sent its HTTP headers once write() was called.
    if (this.#writeCalled) {
      throw runtimeError('Runtime.InvalidStreamingOperation', 'Cannot set content-type, too late.');
    }
    this.#contentType = contentType;
  }

  write(chunk, encoding, callback) {
    // The runtime JSON-encodes anything that is not bytes or a string instead of throwing.
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    if (!this.#writeCalled && typeof this._onBeforeFirstWrite === 'function') {
      this._onBeforeFirstWrite((prelude) => super.write(prelude));
    }
    this.#writeCalled = true;
    return super.write(data, encoding, callback);
  }

  // end(chunk) deliberately goes through Writable's internal path, not write(): the real
  // stream (an http.ClientRequest) behaves the same, so the prelude hook only fires on write().
  _write(chunk, _encoding, callback) {
    this.#chunks.push(Buffer.from(chunk));
    callback();
  }

  /** What a client of the function URL would have received. */
  snapshot() {
    const bytes = Buffer.concat(this.#chunks);
    let metadata;
    let body = bytes;
    if (this.#contentType === HTTP_INTEGRATION_CONTENT_TYPE) {
      const split = bytes.indexOf(Buffer.alloc(DELIMITER_LENGTH));
      if (split >= 0) {
        metadata = JSON.parse(bytes.subarray(0, split).toString('utf8'));
        body = bytes.subarray(split + DELIMITER_LENGTH);
      }
    }
    return { contentType: this.#contentType, metadata, body: body.toString('utf8') };
  }
}
