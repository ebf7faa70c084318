/**
 * Issue 14: every troubleshooting item is prevented or reported once at the default level (warn)
 * with its fix, and visible in `status()`. In-process against the real receiver; the exit-time
 * signals (crash, open spans at exit, a dead endpoint at exit) are in exit-diagnostics.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  begin,
  flush,
  init,
  resolveOptions,
  runInvocation,
  shutdown,
  status,
  toolSpan,
  trackAi,
  type BentoOptions,
} from '../../src/index.js';
import { captureLogger, KEY, useReceiver, type CapturedLog } from './helpers.js';

const receiver = useReceiver();
let logger: CapturedLog;
// vitest sets NODE_ENV=test; the production check reads it, so each test restores it.
let nodeEnv: string | undefined;

beforeEach(() => {
  logger = captureLogger();
  nodeEnv = process.env.NODE_ENV;
});
afterEach(() => {
  if (nodeEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = nodeEnv;
});

// The default level: every signal below must be visible without raising it.
function start(extra: BentoOptions = {}): void {
  init({ apiKey: KEY, baseUrl: receiver.url, logger, flushOnExit: false, ...extra });
}

const warned = (pattern: RegExp) => logger.matching('warn', pattern);
const warning = (code: string) => status().warnings.find((w) => w.code === code);

describe('AWS Lambda without wrapHandler', () => {
  it('a span recorded outside an invocation warns once with the fix; status() counts every such span', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'checkout-fn';
    start();
    trackAi({ event: 'unwrapped-1', model: 'gpt-4o', provider: 'openai' });
    trackAi({ event: 'unwrapped-2', model: 'gpt-4o', provider: 'openai' });
    const lines = warned(/outside a wrapped handler/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('wrapHandler');
    expect(warning('lambda_unwrapped')).toMatchObject({ count: 2 });
  });

  it('inside an invocation (what wrapHandler runs) nothing is said', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'checkout-fn';
    start();
    await runInvocation(() => trackAi({ event: 'wrapped', model: 'gpt-4o', provider: 'openai' }), {
      flushTimeoutMillis: 2000,
    });
    expect(warned(/outside a wrapped handler/)).toHaveLength(0);
    expect(warning('lambda_unwrapped')).toBeUndefined();
    expect(receiver.spanByName('wrapped')).toBeDefined();
  });

  it('outside Lambda, a span outside an invocation is normal', () => {
    start();
    trackAi({ event: 'server', model: 'gpt-4o', provider: 'openai' });
    expect(warning('lambda_unwrapped')).toBeUndefined();
  });
});

/**
 * A handle-form begin() from another async context (a request handler, a callback), so the test's
 * own context stays clean whether the handle form is ambient (0.1) or inactive (0.2).
 */
function elsewhere<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => setImmediate(() => resolve(fn())));
}

describe('trajectories left open', () => {
  it('status() counts open trajectories and tool spans; flush() is not ok while one is left open', async () => {
    start();
    const turn = await elsewhere(() => begin({ event: 'forgotten' }));
    const tool = await elsewhere(() => toolSpan('lookup'));
    expect(status()).toMatchObject({ openTrajectories: 1, openToolSpans: 1 });
    const result = await flush();
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/2 span\(s\) still open \("forgotten", "lookup"\) are not exported until they finish/);
    tool.end();
    turn.finish();
    expect(status()).toMatchObject({ openTrajectories: 0, openToolSpans: 0 });
    expect(await flush()).toMatchObject({ ok: true, exported: 2 });
  });

  it('a flush inside a trajectory does not count that trajectory against itself', async () => {
    start();
    const result = await begin({ event: 'outer' }, async () => {
      trackAi({ event: 'inner', model: 'gpt-4o', provider: 'openai' });
      return flush();
    });
    expect(result).toMatchObject({ ok: true, exported: 1 });
  });

  it('an exception swallowed before finish(): shutdown() ends the trajectory as unfinished, delivers it and warns', async () => {
    start();
    const turn = await elsewhere(() => begin({ event: 'swallowed' }));
    try {
      throw new Error('tool failed');
      // biome-ignore lint/correctness/noUnreachable: the finish() the exception skips
      turn.finish();
    } catch {
      /* swallowed by the app */
    }
    await shutdown();
    const span = receiver.spanByName('swallowed');
    expect(span?.attributes['bentolabs.unfinished']).toBe(true);
    const lines = warned(/still open at shutdown\(\)/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('finally');
  });
});

describe('provider and identity fields', () => {
  it('a model without provider warns once at the default level', () => {
    start();
    trackAi({ event: 'a', model: 'gpt-4o' });
    trackAi({ event: 'b', model: 'gpt-4o-mini' });
    const lines = warned(/without `provider`/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/never inferred/);
    expect(warning('provider_missing')).toMatchObject({ count: 2 });
  });

  it.each([
    ['anthropic', /Bedrock model id .*provider: 'aws_bedrock'/],
    ['openai', /Bedrock model id .*provider: 'aws_bedrock'/],
    ['bedrock', /pass 'aws_bedrock'/],
  ])('a Bedrock model id with provider %j warns with the fix', (provider, fix) => {
    start();
    trackAi({ event: 'x', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', provider });
    expect(warned(fix)).toHaveLength(1);
    expect(warning('provider_mismatch')).toBeDefined();
  });

  it('a cross-region Bedrock id with aws_bedrock is fine; the provider is never changed', async () => {
    start();
    trackAi({ event: 'ok', model: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', provider: 'aws_bedrock' });
    trackAi({ event: 'mismatch', model: 'anthropic.claude-3-haiku-20240307-v1:0', provider: 'anthropic' });
    expect(warned(/Bedrock/)).toHaveLength(1);
    await flush();
    expect(receiver.spanByName('mismatch')?.attributes['gen_ai.system']).toBe('anthropic');
  });

  it("'OpenAI ' (whitespace, capitals) warns with the lowercase id; a clashing model family warns too", () => {
    start();
    trackAi({ event: 'a', model: 'gpt-4o', provider: 'OpenAI ' });
    trackAi({ event: 'b', model: 'claude-3-5-sonnet-latest', provider: 'openai' });
    expect(warned(/"OpenAI " has surrounding whitespace.*'openai'/)).toHaveLength(1);
    expect(warned(/"claude-3-5-sonnet-latest" is a model of 'anthropic'/)).toHaveLength(1);
  });

  it.each(['convo_id', 'conversation_id', 'conversationId', 'session_id', 'thread_id'])(
    'a conversation id passed as the property %s warns once with the fix',
    (key) => {
      start();
      trackAi({ event: 'a', model: 'gpt-4o', provider: 'openai', properties: { [key]: 'c1' } });
      trackAi({ event: 'b', model: 'gpt-4o', provider: 'openai', properties: { [key]: 'c1' } });
      const lines = warned(/conversation id was passed as the property/);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`\`${key}\``);
      expect(lines[0]).toContain('`convoId`');
    },
  );

  it('a convo_id property next to a real convoId is not a problem', () => {
    start();
    trackAi({ event: 'a', convoId: 'c1', model: 'gpt-4o', provider: 'openai', properties: { convo_id: 'c1' } });
    expect(warning('convo_id_property')).toBeUndefined();
  });
});

describe('base URL', () => {
  it('one ending in /v1/traces is normalised at init, with a warning naming the fix; spans arrive', async () => {
    start({ baseUrl: `${receiver.url}/v1/traces` });
    expect(resolveOptions({ apiKey: KEY, baseUrl: `${receiver.url}/v1/traces/` }).tracesUrl).toBe(
      `${receiver.url}/v1/traces`,
    );
    const lines = warned(/ends in \/v1\/traces/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Set \`baseUrl\` to ${receiver.url}.`);
    trackAi({ event: 'arrives', model: 'gpt-4o', provider: 'openai' });
    expect(await flush()).toMatchObject({ ok: true, exported: 1 });
    expect(receiver.requests[0]?.path).toBe('/v1/traces');
  });

  it.each([
    ['NODE_ENV=production', { NODE_ENV: 'production' }, /NODE_ENV=production/],
    ['AWS Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'checkout-fn' }, /AWS Lambda \(AWS_LAMBDA_FUNCTION_NAME=checkout-fn\)/],
  ])('a localhost base URL in %s warns at init', (_name, env, where) => {
    Object.assign(process.env, env);
    start();
    const lines = warned(/points at this machine/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(where);
    expect(lines[0]).toMatch(/Unset BENTOLABS_BASE_URL/);
    expect(warning('base_url_local_in_production')).toBeDefined();
  });

  it('a localhost base URL on a development machine is what local development looks like', () => {
    process.env.NODE_ENV = 'development';
    start();
    expect(warning('base_url_local_in_production')).toBeUndefined();
  });
});

describe('a synchronous burst against a healthy endpoint', () => {
  it('the queue-full warning carries the true count of the burst, and status() agrees', async () => {
    start();
    for (let i = 0; i < 5000; i++) trackAi({ event: `burst-${i}`, model: 'gpt-4o', provider: 'openai' });
    const dropped = status().droppedQueueFull;
    expect(dropped).toBe(5000 - 2048);
    await new Promise((r) => setImmediate(r));
    const lines = warned(/Queue full, dropping span\./);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(` ${dropped} span(s) dropped`);
    const result = await flush();
    expect(result).toMatchObject({ exported: 2048, dropped });
    expect(receiver.spans).toHaveLength(2048);
  });
});

describe('init errors', () => {
  it('a bad explicit key that the caller swallows does not fall back to the environment key', async () => {
    process.env.BENTOLABS_API_KEY = KEY;
    process.env.BENTOLABS_BASE_URL = receiver.url;
    try {
      init({ apiKey: 'sk-not-a-bentolabs-key', logger });
    } catch {
      /* swallowed by the app */
    }
    expect(trackAi({ event: 'nowhere' })).toBe('0000000000000000');
    trackAi({ event: 'nowhere-2' });
    const lines = warned(/Not initialised, so nothing is recorded/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/the environment is not used in place of the options init\(\) was given/);
    const s = status();
    expect(s.initialised).toBe(false);
    expect(s.initError).toMatchObject({ name: 'BentoAuthError', code: 'invalid_api_key_format' });
    expect(s.warnings.map((w) => w.code)).toContain('not_initialised');
    expect(await flush()).toMatchObject({ ok: false });
    expect(receiver.requests).toHaveLength(0);
    // init() with a good key then works as usual.
    init({ apiKey: KEY, baseUrl: receiver.url, logger });
    expect(status().initError).toBeUndefined();
  });

  it('status().initError also explains a failed lazy start', () => {
    process.env.BENTOLABS_LOG_LEVEL = 'silent';
    trackAi({ event: 'no-key' });
    expect(status().initError).toMatchObject({ code: 'missing_api_key' });
    expect(status().reason).toMatch(/BENTOLABS_API_KEY/);
  });
});

describe('status() lists what was said', () => {
  it('every warning once, with its count and fix, also when the logger is silent', () => {
    start({ logLevel: 'silent' });
    trackAi({ event: 'a', model: 'gpt-4o' });
    expect(logger.lines).toHaveLength(0);
    expect(status().warnings).toEqual([
      expect.objectContaining({
        code: 'provider_missing',
        count: 1,
        message: expect.stringMatching(/Pass `provider`/),
      }),
    ]);
    expect(status().exitFlushTimeoutMillis).toBe(1500);
  });
});
