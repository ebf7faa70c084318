/**
 * SPEC §1–2: option resolution (argument > environment > default), local key checks, error codes
 * and messages, init/shutdown lifecycle, disabled mode and lazy initialisation.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BentoAuthError,
  BentoConfigError,
  SDK_VERSION,
  begin,
  flush,
  init,
  resolveOptions,
  shutdown,
  status,
  toolSpan,
  trackAi,
} from '../../src/index.js';
import { captureLogger, KEY, OTHER_KEY, until, useReceiver } from './helpers.js';

const receiver = useReceiver();
afterEach(async () => {
  vi.restoreAllMocks();
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('resolveOptions precedence: argument > environment > default', () => {
  it('apiKey', () => {
    process.env.BENTOLABS_API_KEY = OTHER_KEY;
    expect(resolveOptions({ apiKey: KEY }).apiKey).toBe(KEY);
    expect(resolveOptions().apiKey).toBe(OTHER_KEY);
  });

  it('baseUrl', () => {
    expect(resolveOptions({ apiKey: KEY }).baseUrl).toBe('https://api.bentolabs.ai');
    process.env.BENTOLABS_BASE_URL = 'http://env.example:1234';
    expect(resolveOptions({ apiKey: KEY }).baseUrl).toBe('http://env.example:1234');
    expect(resolveOptions({ apiKey: KEY, baseUrl: 'https://arg.example' }).baseUrl).toBe('https://arg.example');
    expect(resolveOptions({ apiKey: KEY, baseUrl: 'https://arg.example' }).tracesUrl).toBe(
      'https://arg.example/v1/traces',
    );
  });

  it('protocol', () => {
    expect(resolveOptions({ apiKey: KEY }).protocol).toBe('http/protobuf');
    process.env.BENTOLABS_PROTOCOL = 'http/json';
    expect(resolveOptions({ apiKey: KEY }).protocol).toBe('http/json');
    expect(resolveOptions({ apiKey: KEY, protocol: 'http/protobuf' }).protocol).toBe('http/protobuf');
  });

  it('enabled', () => {
    expect(resolveOptions({ apiKey: KEY }).enabled).toBe(true);
    for (const off of ['false', '0', 'FALSE']) {
      process.env.BENTOLABS_ENABLED = off;
      expect(resolveOptions({ apiKey: KEY }).enabled).toBe(false);
    }
    process.env.BENTOLABS_ENABLED = '1';
    expect(resolveOptions({ apiKey: KEY }).enabled).toBe(true);
    process.env.BENTOLABS_ENABLED = '0';
    expect(resolveOptions({ apiKey: KEY, enabled: true }).enabled).toBe(true);
  });

  it('logLevel', () => {
    expect(resolveOptions({ apiKey: KEY }).logLevel).toBe('warn');
    process.env.BENTOLABS_LOG_LEVEL = 'debug';
    expect(resolveOptions({ apiKey: KEY }).logLevel).toBe('debug');
    process.env.BENTOLABS_LOG_LEVEL = 'SILENT';
    expect(resolveOptions({ apiKey: KEY }).logLevel).toBe('silent');
    expect(resolveOptions({ apiKey: KEY, logLevel: 'error' }).logLevel).toBe('error');
  });

  it('pipeline numbers default to 2048 / 5000 / 512 / 10000 and take explicit values', () => {
    const d = resolveOptions({ apiKey: KEY });
    expect([d.maxQueueSize, d.scheduledDelayMillis, d.maxExportBatchSize, d.exportTimeoutMillis]).toEqual([
      2048, 5000, 512, 10000,
    ]);
    expect(d.maxAttributeValueLength).toBe(1024 * 1024);
    const o = resolveOptions({
      apiKey: KEY,
      maxQueueSize: 10,
      scheduledDelayMillis: 1,
      maxExportBatchSize: 5,
      exportTimeoutMillis: 99,
      maxAttributeValueLength: 100,
    });
    expect([
      o.maxQueueSize,
      o.scheduledDelayMillis,
      o.maxExportBatchSize,
      o.exportTimeoutMillis,
      o.maxAttributeValueLength,
    ]).toEqual([10, 1, 5, 99, 100]);
  });

  it('an explicit undefined does not erase a default or the environment', () => {
    process.env.BENTOLABS_BASE_URL = 'http://env.example';
    const o = resolveOptions({ apiKey: KEY, baseUrl: undefined, maxQueueSize: undefined, protocol: undefined });
    expect(o.baseUrl).toBe('http://env.example');
    expect(o.maxQueueSize).toBe(2048);
    expect(o.protocol).toBe('http/protobuf');
  });

  it('returns a frozen object and starts nothing', () => {
    const o = resolveOptions({ apiKey: KEY, baseUrl: receiver.url });
    expect(Object.isFrozen(o)).toBe(true);
    expect(() => {
      (o as { baseUrl: string }).baseUrl = 'x';
    }).toThrow(TypeError);
    expect(status().initialised).toBe(false);
  });
});

describe('API key checks (local, before any I/O)', () => {
  it('missing key → BentoAuthError missing_api_key', () => {
    const e = thrown(() => resolveOptions());
    expect(e).toBeInstanceOf(BentoAuthError);
    expect((e as BentoAuthError).code).toBe('missing_api_key');
    expect((e as Error).message).toContain('BENTOLABS_API_KEY');
    expect((e as Error).name).toBe('BentoAuthError');
  });

  it('a key without bl_pk_ → invalid_api_key_format, from the argument or the environment', () => {
    const secret = 'sk_live_supersecretvalue1234';
    const e = thrown(() => resolveOptions({ apiKey: secret }));
    expect(e).toBeInstanceOf(BentoAuthError);
    expect((e as BentoAuthError).code).toBe('invalid_api_key_format');
    expect((e as Error).message).not.toContain(secret);
    expect((e as Error).message).toContain('bl_pk_');

    process.env.BENTOLABS_API_KEY = secret;
    const fromEnv = thrown(() => resolveOptions());
    expect((fromEnv as BentoAuthError).code).toBe('invalid_api_key_format');
    expect((fromEnv as Error).message).toContain('BENTOLABS_API_KEY');
    expect((fromEnv as Error).message).not.toContain(secret);
  });

  it('init() with a bad key throws and sends nothing', async () => {
    expect(() => init({ apiKey: 'nope', baseUrl: receiver.url })).toThrow(BentoAuthError);
    expect(status().initialised).toBe(false);
    expect(status().reason).toMatch(/bl_pk_/);
    await flush();
    expect(receiver.requests).toHaveLength(0);
  });

  it('messages never contain a full key (only bl_pk_… plus the last 4)', () => {
    const full = 'bl_pk_live_very_secret_value_WXYZ';
    // A key with a space passes the prefix check but is still rejected: the message redacts it.
    const e = thrown(() => resolveOptions({ apiKey: `${full} ` }));
    expect((e as BentoAuthError).code).toBe('invalid_api_key_format');
    expect((e as Error).message).not.toContain('very_secret');
    init({ apiKey: full, baseUrl: receiver.url });
    const again = thrown(() => init({ apiKey: 'bl_pk_other_secret_value_ABCD', baseUrl: receiver.url }));
    const message = (again as Error).message;
    expect(message).not.toContain('very_secret');
    expect(message).not.toContain('other_secret');
    expect(message).toContain('bl_pk_…WXYZ');
    expect(message).toContain('bl_pk_…ABCD');
    expect(status().keyPrefix).toBe('bl_pk_…WXYZ');
    expect(JSON.stringify(status())).not.toContain('very_secret');
  });
});

describe('baseUrl', () => {
  it('`localhost:8080` → BentoConfigError invalid_base_url naming the option and value', () => {
    const e = thrown(() => resolveOptions({ apiKey: KEY, baseUrl: 'localhost:8080' }));
    expect(e).toBeInstanceOf(BentoConfigError);
    expect((e as BentoConfigError).code).toBe('invalid_base_url');
    expect((e as BentoConfigError).option).toBe('baseUrl');
    expect((e as Error).message).toContain('baseUrl');
    expect((e as Error).message).toContain('localhost:8080');
    expect((e as Error).message).toMatch(/http:\/\/ or https:\/\//);
  });

  it('the same check applies to BENTOLABS_BASE_URL and names the variable', () => {
    process.env.BENTOLABS_BASE_URL = 'localhost:8080';
    const e = thrown(() => resolveOptions({ apiKey: KEY }));
    expect((e as BentoConfigError).code).toBe('invalid_base_url');
    expect((e as Error).message).toContain('BENTOLABS_BASE_URL');
    expect((e as Error).message).toContain('localhost:8080');
  });

  it.each(['ftp://example.com', 'file:///tmp/x', 'not a url', ''])('rejects %j', (bad) => {
    const e = thrown(() => resolveOptions({ apiKey: KEY, baseUrl: bad }));
    expect((e as BentoConfigError).code).toBe('invalid_base_url');
  });

  it('drops a trailing slash (and keeps a path prefix)', () => {
    expect(resolveOptions({ apiKey: KEY, baseUrl: 'http://localhost:8080/' }).baseUrl).toBe('http://localhost:8080');
    expect(resolveOptions({ apiKey: KEY, baseUrl: 'https://x.example/otel/' }).tracesUrl).toBe(
      'https://x.example/otel/v1/traces',
    );
  });
});

describe('other option values are validated with the option and value in the message', () => {
  it.each([
    ['protocol', { protocol: 'grpc' }, 'grpc'],
    ['logLevel', { logLevel: 'loud' }, 'loud'],
    ['maxQueueSize', { maxQueueSize: 0 }, '0'],
    ['maxQueueSize', { maxQueueSize: 1.5 }, '1.5'],
    ['maxExportBatchSize', { maxExportBatchSize: -1 }, '-1'],
    ['exportTimeoutMillis', { exportTimeoutMillis: Number.NaN }, 'NaN'],
    ['scheduledDelayMillis', { scheduledDelayMillis: '5' }, '5'],
    ['maxAttributeValueLength', { maxAttributeValueLength: 2 }, '2'],
    ['enabled', { enabled: 'yes' }, 'yes'],
    // Past what the SDK can allocate, or what a Node timer can wait (it would fire after 1 ms).
    ['maxQueueSize', { maxQueueSize: 2 ** 32, maxExportBatchSize: 1 }, String(2 ** 32)],
    ['exportTimeoutMillis', { exportTimeoutMillis: 2 ** 31 }, String(2 ** 31)],
    ['scheduledDelayMillis', { scheduledDelayMillis: 2 ** 31 }, String(2 ** 31)],
  ])('%s', (option, bad, shown) => {
    const e = thrown(() => resolveOptions({ apiKey: KEY, ...(bad as object) }));
    expect(e).toBeInstanceOf(BentoConfigError);
    expect((e as BentoConfigError).option).toBe(option);
    expect((e as Error).message).toContain(option);
    expect((e as Error).message).toContain(shown);
  });

  it('an explicit maxExportBatchSize above maxQueueSize is rejected; a small queue alone lowers the default batch', () => {
    expect(() => resolveOptions({ apiKey: KEY, maxQueueSize: 4, maxExportBatchSize: 8 })).toThrow(BentoConfigError);
    expect(resolveOptions({ apiKey: KEY, maxQueueSize: 64 }).maxExportBatchSize).toBe(64);
    expect(resolveOptions({ apiKey: KEY, maxQueueSize: 4096 }).maxExportBatchSize).toBe(512);
  });

  it('bad environment values name the variable', () => {
    process.env.BENTOLABS_PROTOCOL = 'grpc';
    const e = thrown(() => resolveOptions({ apiKey: KEY }));
    expect((e as Error).message).toContain('BENTOLABS_PROTOCOL');
    delete process.env.BENTOLABS_PROTOCOL;
    process.env.BENTOLABS_ENABLED = 'maybe';
    expect((thrown(() => resolveOptions({ apiKey: KEY })) as Error).message).toContain('BENTOLABS_ENABLED');
    delete process.env.BENTOLABS_ENABLED;
    process.env.BENTOLABS_LOG_LEVEL = 'chatty';
    expect((thrown(() => resolveOptions({ apiKey: KEY })) as Error).message).toContain('BENTOLABS_LOG_LEVEL');
  });
});

describe('init() and shutdown()', () => {
  it('init twice with the same values is a no-op; another key → already_initialized', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url });
    expect(() => init({ apiKey: KEY, baseUrl: `${receiver.url}/` })).not.toThrow();
    const e = thrown(() => init({ apiKey: OTHER_KEY, baseUrl: receiver.url }));
    expect(e).toBeInstanceOf(BentoAuthError);
    expect((e as BentoAuthError).code).toBe('already_initialized');
    const url = thrown(() => init({ apiKey: KEY, baseUrl: 'http://127.0.0.1:1' }));
    expect((url as BentoAuthError).code).toBe('already_initialized');
    // Still running with the first credentials.
    trackAi({ event: 'still-running' });
    await flush();
    expect(receiver.spanByName('still-running')).toBeDefined();
    expect(receiver.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('shutdown() then init() rotates credentials', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url });
    trackAi({ event: 'first' });
    await shutdown();
    init({ apiKey: OTHER_KEY, baseUrl: receiver.url });
    trackAi({ event: 'second' });
    await flush();
    const byName = (n: string) => receiver.requests.find((r) => r.spans.some((s) => s.name === n));
    expect(byName('first')?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(byName('second')?.headers.authorization).toBe(`Bearer ${OTHER_KEY}`);
  });

  it('enabled:false → every call is a no-op and nothing is sent', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, enabled: false });
    expect(trackAi({ event: 'x' })).toBe('0000000000000000');
    const value = begin({ event: 'b' }, (i) => i.toolSpan('t', {}, () => 42));
    expect(value).toBe(42);
    toolSpan('t2').end();
    const result = await flush();
    expect(result.ok).toBe(true);
    expect(status().initialised).toBe(false);
    expect(status().enabled).toBe(false);
    expect(receiver.requests).toHaveLength(0);
  });

  it('BENTOLABS_ENABLED=0 disables even with a valid key in the environment', async () => {
    process.env.BENTOLABS_ENABLED = '0';
    process.env.BENTOLABS_API_KEY = KEY;
    process.env.BENTOLABS_BASE_URL = receiver.url;
    expect(trackAi({ event: 'x' })).toBe('0000000000000000');
    await flush();
    expect(status().enabled).toBe(false);
    expect(receiver.requests).toHaveLength(0);
  });

  it('disabled does not need a key at all', () => {
    expect(() => init({ enabled: false })).not.toThrow();
    expect(trackAi({ event: 'x' })).toBe('0000000000000000');
  });

  it('lazy initialisation from the environment records without init()', async () => {
    process.env.BENTOLABS_API_KEY = KEY;
    process.env.BENTOLABS_BASE_URL = receiver.url;
    const id = trackAi({ event: 'lazy' });
    expect(status().initialised).toBe(true);
    await flush();
    expect(receiver.spanByName('lazy')?.spanId).toBe(id);
  });

  it('lazy init without a key: no throw, ONE warning naming BENTOLABS_API_KEY, calls are no-ops', async () => {
    process.env.BENTOLABS_LOG_LEVEL = 'warn';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(trackAi({ event: 'a' })).toBe('0000000000000000');
    expect(trackAi({ event: 'b' })).toBe('0000000000000000');
    expect(begin({ event: 'c' }, () => 'ok')).toBe('ok');
    expect(toolSpan('d', {}, () => 1)).toBe(1);
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('BENTOLABS_API_KEY');
    expect(status().initialised).toBe(false);
    expect(status().reason).toContain('BENTOLABS_API_KEY');
    // A flush does not pretend the recorded calls went anywhere.
    const nothing = await flush();
    expect(nothing.ok).toBe(false);
    expect(nothing.error).toMatch(/not initialised: .*BENTOLABS_API_KEY/);
    // init() succeeds afterwards and recording works again.
    init({ apiKey: KEY, baseUrl: receiver.url });
    trackAi({ event: 'after-init' });
    await flush();
    expect(receiver.spans.map((s) => s.name)).toEqual(['after-init']);
  });

  it('lazy init warning goes to the level from BENTOLABS_LOG_LEVEL (silent = nothing)', () => {
    // A previous init with a custom logger must not capture the lazy warning after shutdown.
    process.env.BENTOLABS_LOG_LEVEL = 'silent';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    trackAi({ event: 'a' });
    expect(warn).not.toHaveBeenCalled();
  });

  it('lazy init after a run that used a custom logger still warns on the console', async () => {
    const custom = captureLogger();
    init({ apiKey: KEY, baseUrl: receiver.url, logger: custom });
    await shutdown();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    trackAi({ event: 'a' });
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toContain('BENTOLABS_API_KEY');
  });

  it('init() after a lazy start applies its options; spans recorded before it are still delivered', async () => {
    process.env.BENTOLABS_API_KEY = KEY;
    process.env.BENTOLABS_BASE_URL = receiver.url;
    trackAi({ event: 'before-init' });
    init({ userId: 'configured-user', tags: ['prod'] });
    trackAi({ event: 'after-init' });
    await flush();
    await until(() => receiver.spans.length >= 2, 'both spans');
    expect(receiver.spanByName('after-init')?.attributes).toMatchObject({
      'gen_ai.user.id': 'configured-user',
      'langfuse.tags': ['prod'],
    });
    expect(receiver.spanByName('before-init')).toBeDefined();
  });

  it('init() again with the same key and URL but other options warns that they are ignored', () => {
    const logger = captureLogger();
    init({ apiKey: KEY, baseUrl: receiver.url, logger });
    init({ apiKey: KEY, baseUrl: receiver.url, logger, maxQueueSize: 16 });
    expect(logger.at('warn').join('\n')).toMatch(/other maxQueueSize\b.*; they are ignored/);
  });

  it('disabled needs no key: resolveOptions() resolves with apiKey "" instead of throwing', () => {
    expect(resolveOptions({ enabled: false }).apiKey).toBe('');
    process.env.BENTOLABS_ENABLED = 'false';
    expect(resolveOptions().enabled).toBe(false);
  });

  it('after a failed init, status() still says where spans would go and with which key', () => {
    expect(() => init({ apiKey: 'sk_wrong_format_123456', baseUrl: 'https://eu.example.test/' })).toThrow();
    const s = status();
    expect(s).toMatchObject({
      initialised: false,
      baseUrl: 'https://eu.example.test',
      tracesUrl: 'https://eu.example.test/v1/traces',
      protocol: 'http/protobuf',
    });
    expect(s.reason).toContain('initialisation failed');
    expect(JSON.stringify(s)).not.toContain('sk_wrong_format_123456');
  });

  it('explicit init() throws what lazy init only logs', () => {
    expect(() => init()).toThrow(BentoAuthError);
  });

  it.each([
    ['http://example.com', true],
    ['http://127.0.0.1.nip.io:4318', true],
    ['http://127.0.0.5:4318', false],
    ['http://localhost:4318', false],
    ['http://[::1]:4318', false],
    ['https://example.com', false],
  ])('cleartext warning for %s: %s', (baseUrl, warns) => {
    const logger = captureLogger();
    init({ apiKey: KEY, baseUrl, logger, flushOnExit: false });
    expect(logger.at('warn').filter((l) => /clear text/.test(l))).toHaveLength(warns ? 1 : 0);
  });

  it('logLevel and a custom logger are honoured', () => {
    const logger = captureLogger();
    init({ apiKey: KEY, baseUrl: 'http://example.com', logger, logLevel: 'warn' });
    // http:// to a non-loopback host is warned about (the key travels in clear text).
    expect(logger.at('warn').join('\n')).toMatch(/clear text/);
    expect(logger.at('debug')).toHaveLength(0);
  });
});

describe('package facts', () => {
  it('SDK_VERSION equals package.json version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
