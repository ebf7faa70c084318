/**
 * One OTLP POST through `node:http`/`node:https`, the Node.js transport (`#transport` without an
 * edge condition). On Node it is faster than `fetch` (undici) for our small requests: see the
 * `transport` benchmark in bench/.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { MAX_RESPONSE_BYTES, type PostOnce, type RawAnswer } from './transport-types.js';

// keepAlive saves a TCP (and TLS) handshake per request; Node unrefs idle pooled sockets, so the
// pool never keeps a process alive.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 8 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

export const postOnce: PostOnce = (url, body, headers, timeoutMillis, hold) =>
  new Promise<RawAnswer>((resolve) => {
    const lib = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (a: RawAnswer) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(body.byteLength) },
        agent: agents[url.protocol as 'http:' | 'https:'],
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on('error', (e) => done({ error: e.message }));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          done({
            status: res.statusCode ?? 0,
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    req.setTimeout(Math.max(1, timeoutMillis), () => {
      req.destroy();
      done({ error: `request timed out after ${timeoutMillis} ms` });
    });
    // Unref'd for the SDK's own processor: whoever needs its exports delivered waits in flush(),
    // whose timer is ref'd and bounded, so an endpoint that is down cannot delay the exit further.
    if (!hold) req.on('socket', (s) => s.unref());
    req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ? `${e.code}: ${e.message}` : e.message }));
    req.end(body);
  });
