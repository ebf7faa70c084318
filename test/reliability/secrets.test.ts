/**
 * The API key never leaks: every log line (through the `logger` option AND through `console`),
 * every error thrown (message, stack, own properties) and `JSON.stringify(status())` are captured
 * across failing auth, bad key formats, credential rotation and lazy initialisation, and none may
 * contain the key or any 8 characters of its secret part. `status().keyPrefix` is `bl_pk_…` plus
 * the last 4 characters. An `http://` base URL to another machine logs that the key travels in
 * clear text; loopback addresses do not. No setupFiles: everything is captured inside the tests.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BentoLabsTraceExporter,
  flush,
  init,
  resolveOptions,
  shutdown,
  status,
  trackAi,
  type BentoLogger,
} from '../../src/index.js';
import { OtlpReceiver } from '../support/receiver.js';
import { hostExceptionGuard, idle, sandboxEnv } from './helpers.js';

// Keys whose secret parts are easy to find in a haystack, one per role.
const GOOD = 'bl_pk_Zq8vN3xK7mP2rT9wLb4s';
const ROTATED = 'bl_pk_Hj5dQ1cV6yF0gE2uWn7a';
const BAD_FORMATS = [
  'sk_live_Xe4rT7yU1iO9pA3sD6fG', // another vendor's key
  'BL_PK_Mm3nB6vC9xZ2lK5jH8gF', // wrong case
  'bl_pk_Rr2tY5uI8oP1aS4dF7 gH', // a space inside
  ' bl_pk_Ww9eR3tY6uI0oP2aS5d', // a leading space
  'bl_pkQq1wE4rT7yU0iO3pA6sD', // no underscore after the prefix
  'bl_pk_Kk8jH5gF2dS9aL6zX3c\n', // a trailing newline (copied from a file)
];
const ALL_KEYS = [GOOD, ROTATED, ...BAD_FORMATS];

/** Every 8-character window of the key's secret part (what follows `bl_pk_`, or the whole key). */
function secretWindows(key: string): string[] {
  const secret = key.trim().replace(/^bl_pk_?/i, '');
  const out: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

/** The texts that leak a key: the key itself, or 8 consecutive characters of its secret part. */
function leaks(texts: string[], key: string): string[] {
  const windows = secretWindows(key);
  return texts.filter((t) => t.includes(key) || t.includes(key.trim()) || windows.some((w) => t.includes(w)));
}

let haystack: string[];
let restoreEnv: () => void;
const guard = hostExceptionGuard();
const logger: BentoLogger = {
  debug: (m) => void haystack.push(m),
  info: (m) => void haystack.push(m),
  warn: (m) => void haystack.push(m),
  error: (m) => void haystack.push(m),
};
let receiver: OtlpReceiver;

beforeAll(async () => {
  guard.install();
  receiver = await OtlpReceiver.start();
});
afterAll(async () => {
  guard.uninstall();
  await receiver.close();
});
beforeEach(() => {
  haystack = [];
  restoreEnv = sandboxEnv();
  receiver.clear();
  receiver.setFault(undefined);
  // Console too: lazy initialisation without a `logger` writes there.
  for (const method of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation(
      (...args: unknown[]) => void haystack.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')),
    );
  }
});
afterEach(async () => {
  haystack.push(JSON.stringify(status()));
  await shutdown();
  vi.restoreAllMocks();
  restoreEnv();
  expect(guard.seen).toEqual([]);
  for (const key of ALL_KEYS) expect(leaks(haystack, key), `key ${JSON.stringify(key)} leaked`).toEqual([]);
});

/** Runs `fn`, keeping whatever it throws (message, stack, own properties) in the haystack. */
function capture(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    haystack.push(inspect(error, { depth: 5 }), String(error), (error as Error)?.stack ?? '', JSON.stringify(error));
    return error;
  }
}

const snapshot = () => void haystack.push(JSON.stringify(status()), inspect(status(), { depth: 5 }));

describe('the API key never appears in logs, errors or status()', () => {
  it('bad key formats, passed explicitly: the error shows at most a redacted form', () => {
    for (const apiKey of BAD_FORMATS) {
      const fromInit = capture(() => init({ apiKey, baseUrl: receiver.url, logger, logLevel: 'debug' }));
      const fromResolve = capture(() => resolveOptions({ apiKey }));
      const fromExporter = capture(() => new BentoLabsTraceExporter({ apiKey }));
      for (const error of [fromInit, fromResolve, fromExporter])
        expect(error).toMatchObject({ name: 'BentoAuthError', code: 'invalid_api_key_format' });
      snapshot();
    }
  });

  it('bad key formats from BENTOLABS_API_KEY, with lazy initialisation: one warning, no leak, status() says why', () => {
    // The environment is trimmed (a trailing newline from a secrets file is not an error), so only
    // the keys that stay malformed after trimming fail here.
    const stillBad = BAD_FORMATS.filter((k) => !k.trim().startsWith('bl_pk_') || /\s/.test(k.trim()));
    expect(stillBad.length).toBeGreaterThanOrEqual(4);
    for (const apiKey of stillBad) {
      process.env.BENTOLABS_API_KEY = apiKey;
      process.env.BENTOLABS_BASE_URL = receiver.url;
      // No init(): the first recording call initialises, fails, warns (to console), and is a no-op.
      expect(trackAi({ event: 'lazy' })).toBe('0000000000000000');
      snapshot();
      expect(status().reason).toMatch(/initialisation failed/);
      void shutdown();
    }
    // Log lines only: status() snapshots (JSON) list the same warning in `warnings`.
    expect(haystack.filter((l) => l.includes('Not initialised') && !l.startsWith('{')).length).toBe(stillBad.length);
  });

  it('a missing key: the messages name BENTOLABS_API_KEY and nothing secret', () => {
    const error = capture(() => init({ logger }));
    expect(error).toMatchObject({ code: 'missing_api_key' });
    expect((error as Error).message).toMatch(/BENTOLABS_API_KEY/);
  });

  it('a rejected key (401/403 at export, debug logging on): the log line and status() show only bl_pk_…tail', async () => {
    init({ apiKey: GOOD, baseUrl: receiver.url, logger, logLevel: 'debug', exportTimeoutMillis: 1500 });
    for (const code of [401, 403]) {
      receiver.setFault({ kind: 'status', status: code, body: 'invalid credentials' });
      trackAi({ event: `auth-${code}` });
      await flush();
      await idle();
      snapshot();
    }
    expect(haystack.some((l) => l.includes(`bl_pk_…${GOOD.slice(-4)}`) && /rejected the API key/.test(l))).toBe(true);
    // The key does reach the endpoint, where it belongs: in the Authorization header only.
    expect(receiver.requests[0]?.headers.authorization).toBe(`Bearer ${GOOD}`);
  });

  it('credential rotation: init() with another key while running throws already_initialized, naming both keys redacted', async () => {
    init({ apiKey: GOOD, baseUrl: receiver.url, logger, logLevel: 'debug' });
    const error = capture(() => init({ apiKey: ROTATED, baseUrl: receiver.url, logger }));
    expect(error).toMatchObject({ name: 'BentoAuthError', code: 'already_initialized' });
    expect((error as Error).message).toContain(`bl_pk_…${GOOD.slice(-4)}`);
    expect((error as Error).message).toContain(`bl_pk_…${ROTATED.slice(-4)}`);
    await shutdown();
    init({ apiKey: ROTATED, baseUrl: receiver.url, logger, logLevel: 'debug' });
    trackAi({ event: 'after-rotation' });
    await flush();
    snapshot();
  });

  it('status().keyPrefix is bl_pk_… plus the last 4 characters, from init() and from the environment', async () => {
    init({ apiKey: GOOD, baseUrl: receiver.url, logger });
    expect(status().keyPrefix).toBe(`bl_pk_…${GOOD.slice(-4)}`);
    await shutdown();
    process.env.BENTOLABS_API_KEY = ROTATED;
    process.env.BENTOLABS_BASE_URL = receiver.url;
    trackAi({ event: 'lazy-ok' });
    expect(status().keyPrefix).toBe(`bl_pk_…${ROTATED.slice(-4)}`);
    expect(status().keyPrefix).toMatch(/^bl_pk_….{4}$/);
    await flush();
  });

  it('an endpoint that echoes the Authorization header in its error body: status() and the logs still do not show the key', async () => {
    // Gateways and debug proxies do this ("invalid token Bearer bl_pk_..."). The SDK copies error
    // bodies into status().lastExport.error and its warning lines, so it must redact the key there.
    init({ apiKey: GOOD, baseUrl: receiver.url, logger, logLevel: 'debug', exportTimeoutMillis: 1500 });
    for (const code of [401, 500]) {
      receiver.setFault({ kind: 'status', status: code, body: `invalid token: Bearer ${GOOD}` });
      trackAi({ event: `echo-${code}` });
      await flush();
      await idle();
      snapshot();
    }
  });
});

describe('http:// to another machine: the key travels in clear text, and the SDK says so', () => {
  const CLEAR_TEXT = /clear text/;

  async function warningsFor(baseUrl: string, via: 'init' | 'env'): Promise<string[]> {
    haystack = [];
    if (via === 'init') init({ apiKey: GOOD, baseUrl, logger, flushOnExit: false });
    else {
      process.env.BENTOLABS_API_KEY = GOOD;
      process.env.BENTOLABS_BASE_URL = baseUrl;
      init({ logger, flushOnExit: false });
    }
    const lines = haystack.filter((l) => CLEAR_TEXT.test(l));
    // Nothing was recorded, so nothing is ever sent to these addresses.
    await shutdown();
    return lines;
  }

  for (const baseUrl of [
    'http://api.bentolabs.example',
    'http://10.0.0.7:4318',
    'http://localhost.attacker.example',
    'http://[2001:db8::1]:4318',
  ]) {
    it(`${baseUrl}: warns, once, naming the URL and https://`, async () => {
      for (const via of ['init', 'env'] as const) {
        const lines = await warningsFor(baseUrl, via);
        expect(lines, via).toHaveLength(1);
        expect(lines[0]).toContain(new URL(baseUrl).origin);
        expect(lines[0]).toMatch(/https:\/\//);
      }
    });
  }

  for (const baseUrl of [
    'http://127.0.0.1:4318',
    'http://localhost:4318',
    'http://[::1]:4318',
    'http://127.8.9.10',
    'https://api.bentolabs.example',
  ]) {
    it(`${baseUrl}: no clear-text warning`, async () => {
      expect(await warningsFor(baseUrl, 'init')).toEqual([]);
    });
  }

  it('a DNS name that merely starts with "127." is another machine: it warns', async () => {
    // `hostname.startsWith('127.')` also matches 127.0.0.1.nip.io, a public name of any address.
    expect(await warningsFor('http://127.0.0.1.nip.io:4318', 'init')).toHaveLength(1);
  });
});
