/**
 * Hostile input, property-based (fast-check), against EVERY public function of the core entry
 * point and the adapters' factories: wrong types (`fc.anything()`), 10 MB strings, deep nesting,
 * circular structures and `__proto__`/`constructor` keys.
 *
 * - Setup functions (`init`, `resolveOptions`, `interaction`, `tool`, `wrapHandler`, the adapter
 *   factories, the processor/exporter constructors, `runInvocation`) throw only `TypeError`,
 *   `BentoConfigError` or `BentoAuthError`, with a message that says what was expected.
 * - Recording functions never throw, except the documented `TypeError` for a missing `event`/name
 *   or a callback that is not a function; what they record never poisons an export batch.
 * - Never prototype pollution; never a process warning (e.g. TimeoutOverflowWarning).
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  begin,
  BentoAuthError,
  BentoConfigError,
  BentoLabsSpanProcessor,
  BentoLabsTraceExporter,
  BentoUsageError,
  currentInteraction,
  flush,
  init,
  interaction,
  propagateAttributes,
  resolveOptions,
  runInvocation,
  shutdown,
  status,
  tool,
  toolSpan,
  trackAi,
  updateCurrentSpan,
  updateCurrentTrace,
  type Interaction,
  type ToolSpan,
} from '../../src/index.js';
import { wrapHandler } from '../../src/adapters/lambda.js';
import { deadlineOf, lambdaAttributes } from '../../src/core/lambda-context.js';
import { bentoMiddleware as middyMiddleware } from '../../src/adapters/middy.js';
import { bentoErrorHandler, bentoMiddleware as expressMiddleware } from '../../src/adapters/express.js';
import { wrapRouteHandler } from '../../src/adapters/next.js';
import { OtlpReceiver } from '../support/receiver.js';
import { captureLogger, hostExceptionGuard, KEY, sandboxEnv } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Hostile values

const TEN_MB = 'x'.repeat(10 * 1024 * 1024);

function deep(levels: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { next: value };
  return value;
}

function circular(): unknown {
  const a: Record<string, unknown> = { name: 'a', list: [] };
  (a.list as unknown[]).push(a, { back: a });
  a.self = a;
  return a;
}

const throwingGetter = Object.defineProperty({}, 'boom', {
  enumerable: true,
  get: () => {
    throw new Error('getter threw');
  },
});
const throwingToJSON = {
  toJSON: () => {
    throw new Error('toJSON threw');
  },
};
const nullProto = Object.assign(Object.create(null) as object, { a: 1, constructor: 'c' });

/** Values no caller should pass, and some do. */
const specials: unknown[] = [
  TEN_MB,
  deep(10_000),
  circular(),
  JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}'),
  { constructor: { prototype: { polluted: 'yes' } }, prototype: { polluted: 'yes' } },
  throwingGetter,
  throwingToJSON,
  nullProto,
  [1, 'two', { three: 3 }, [4n]],
  new Map<unknown, unknown>([[{}, 1]]),
  new Set([1, 2]),
  new Uint8Array(8),
  new Date(NaN),
  new Error('an error value'),
  Symbol('s'),
  10n ** 30n,
  NaN,
  -0,
  Infinity,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  -1,
  1e21,
  '',
  '   ',
  '\u0000',
  '\ud800',
  () => 'fn',
  Promise.resolve('p'),
];

const anything = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  maxDepth: 3,
});
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: anything },
  { weight: 1, arbitrary: fc.constantFrom(...specials) },
);
/** Objects whose keys are the dangerous ones, with hostile values. */
const hostileObject: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'event',
      'name',
      'input',
      'output',
      'properties',
      'tags',
      'userId',
    ),
    fc.string(),
  ),
  hostile,
  { maxKeys: 6 },
);
const hostileArg = fc.oneof(hostile, hostileObject);

const OPTION_NAMES = [
  'apiKey',
  'baseUrl',
  'protocol',
  'enabled',
  'logLevel',
  'logger',
  'userId',
  'sessionId',
  'tags',
  'maxQueueSize',
  'scheduledDelayMillis',
  'maxExportBatchSize',
  'exportTimeoutMillis',
  'maxAttributeValueLength',
  'maxExportRequestBytes',
  'flushOnExit',
  'serviceName',
] as const;
/** An options object: some known option names with hostile values, some dangerous keys. */
const hostileOptions = fc.oneof(
  hostileArg,
  fc.record(Object.fromEntries(OPTION_NAMES.map((k) => [k, hostile])), { requiredKeys: [] }),
);

// ---------------------------------------------------------------------------------------------
// Checks

/**
 * `fc.assert` with short reports: a counterexample holding the 10 MB string would otherwise be
 * printed in full. Each argument is cut to 300 characters.
 */
async function check<T>(
  property: fc.IProperty<T> | fc.IAsyncProperty<T>,
  params: fc.Parameters<T> = {},
): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<T>, params);
  if (!details.failed) return;
  const args = (details.counterexample ?? []) as unknown as unknown[];
  // fc.stringify runs the hostile getters too; a report must not die on the value it reports.
  const show = (a: unknown) => {
    try {
      return fc.stringify(a).slice(0, 300);
    } catch {
      return `<${typeof a} that cannot be printed>`;
    }
  };
  const shown = Array.isArray(args) ? args.map(show).join(', ') : show(args);
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `Property failed after ${details.numRuns} run(s) (seed ${details.seed}, path "${details.counterexamplePath}").\n` +
      `Counterexample: [${shown}]\nCause: ${cause.slice(0, 600)}`,
  );
}

const SETUP_ERRORS = [TypeError, BentoConfigError, BentoAuthError];
// What the engine says when our code trips over a value it never checked.
const ENGINE_MESSAGE = new RegExp(
  [
    'Cannot read propert',
    'Cannot convert',
    'is not a function',
    'is not iterable',
    'Invalid array length',
    'Maximum call stack',
    'was called on',
    'undefined is not',
    'null is not',
    'Cannot destructure',
    'Cannot create property',
    'Invalid time value',
  ].join('|'),
);

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error);
}

/** A setup error: one of the three classes, with a message that says what was expected. */
function assertSetupError(error: unknown, label: string): void {
  if (!SETUP_ERRORS.some((C) => error instanceof C))
    throw new Error(`${label} threw ${describeError(error)}, not TypeError/BentoConfigError/BentoAuthError`);
  const message = (error as Error).message;
  if (message.length < 15 || ENGINE_MESSAGE.test(message))
    throw new Error(`${label} threw an unclear ${describeError(error)}`);
  if (error instanceof BentoConfigError && !message.includes(error.option))
    throw new Error(`${label}: BentoConfigError does not name its option: ${message}`);
}

function expectSetup(label: string, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    assertSetupError(error, label);
  }
}

async function expectSetupAsync(label: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    assertSetupError(error, label);
  }
}

/** The documented TypeError of a recording call: a missing name, or a callback that is no function. */
function isDocumentedTypeError(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /needs `(event|name)`|expects a function|needs an object of fields/.test(error.message) &&
    !ENGINE_MESSAGE.test(error.message)
  );
}

function expectNoThrow(label: string, fn: () => unknown, allowDocumentedTypeError = false): unknown {
  try {
    return fn();
  } catch (error) {
    if (allowDocumentedTypeError && isDocumentedTypeError(error)) return undefined;
    throw new Error(`${label} threw ${describeError(error)}`);
  }
}

/** `{ ...value, ...extra }`, or just `extra` when spreading `value` itself throws (a throwing getter). */
function withOptions(value: unknown, extra: Record<string, unknown>): Record<string, unknown> {
  try {
    return { ...(typeof value === 'object' && value !== null ? value : {}), ...extra };
  } catch {
    return extra;
  }
}

const validName = (v: unknown) => typeof v === 'string' && v.trim() !== '';
const fieldsOk = (f: unknown) => f !== null && typeof f === 'object' && validName((f as { event?: unknown }).event);

// Prototype pollution: nothing new on the shared prototypes, and `({}).polluted` stays undefined.
const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const snapshot = () => PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join(','));
let prototypesBefore: string[];
function expectNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined || ([] as unknown as Record<string, unknown>).polluted !== undefined)
    throw new Error('prototype polluted: ({}).polluted is defined');
  if (snapshot().join('|') !== prototypesBefore.join('|'))
    throw new Error('a shared prototype gained or lost a property');
}

// ---------------------------------------------------------------------------------------------

const guard = hostExceptionGuard();
const warnings: Error[] = [];
const onWarning = (w: Error) => void warnings.push(w);
let restoreEnv: () => void;
const RUNS = 150;

beforeAll(() => {
  prototypesBefore = snapshot();
  guard.install();
  process.on('warning', onWarning);
  restoreEnv = sandboxEnv();
});
afterAll(async () => {
  await shutdown();
  restoreEnv();
  process.off('warning', onWarning);
  guard.uninstall();
});
afterEach(() => {
  expectNoPollution();
  const seen = guard.seen.splice(0).map(describeError);
  const warned = warnings.splice(0).map((w) => `${w.name}: ${w.message}`);
  expect(seen).toEqual([]);
  // The host never sees a process warning from us (TimeoutOverflowWarning for a huge timeout).
  expect(warned).toEqual([]);
});

describe('setup functions throw only TypeError / BentoConfigError / BentoAuthError, with a clear message', () => {
  beforeEach(async () => {
    await shutdown();
  });

  it('resolveOptions(anything)', async () => {
    await check(
      fc.property(hostileOptions, (options) => {
        expectSetup('resolveOptions()', () => resolveOptions(options as never));
        expectSetup('resolveOptions({ apiKey, ...hostile })', () =>
          resolveOptions(withOptions(options, { apiKey: KEY }) as never),
        );
        expectNoPollution();
      }),
      { numRuns: RUNS },
    );
  });

  it('init(anything), then shutdown()', async () => {
    const logger = captureLogger();
    await check(
      fc.asyncProperty(hostileOptions, async (options) => {
        expectSetup('init()', () => init(options as never));
        await shutdown();
        // With a valid key, every other option is what decides.
        expectSetup('init({ ...hostile, apiKey })', () =>
          init(withOptions(options, { apiKey: KEY, baseUrl: 'http://127.0.0.1:9', logger }) as never),
        );
        await shutdown();
        expectNoPollution();
      }),
      { numRuns: RUNS },
    );
  });

  it('init({ maxQueueSize: 2**32 }): a BentoConfigError, not a RangeError from `new Array()`', () => {
    for (const maxQueueSize of [2 ** 32, 2 ** 53]) {
      expectSetup(`init({ maxQueueSize: ${maxQueueSize} })`, () =>
        init({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9', maxQueueSize, maxExportBatchSize: 1 }),
      );
    }
  });

  it('shutdown(anything) never throws or rejects, running or not', async () => {
    await check(
      fc.asyncProperty(hostileArg, fc.boolean(), async (options, running) => {
        if (running) init({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9', flushOnExit: false });
        const result = await shutdown(options as never);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 60 },
    );
  });

  it('timer options past 2**31-1 ms are refused or capped at setup (Node fires such a timer after 1 ms)', () => {
    for (const option of ['exportTimeoutMillis', 'scheduledDelayMillis'] as const) {
      let accepted: number | undefined;
      try {
        accepted = resolveOptions({ apiKey: KEY, [option]: 2 ** 31 })[option];
      } catch (error) {
        assertSetupError(error, `resolveOptions({ ${option}: 2**31 })`);
      }
      if (accepted !== undefined)
        expect(accepted, `${option} accepted past the timer limit`).toBeLessThanOrEqual(2 ** 31 - 1);
    }
  });

  it('interaction(anything, anything) and tool(anything, anything)', async () => {
    await check(
      fc.property(
        fc.oneof(
          hostileArg,
          fc.constant(function named() {}),
          fc.constant(() => 1),
        ),
        hostileArg,
        (fn, options) => {
          expectSetup('interaction()', () => interaction(fn as never, options as never));
          expectSetup('tool()', () => tool(fn as never, options as never));
          expectNoPollution();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('wrapHandler(anything, anything) and the adapter factories', async () => {
    await check(
      fc.property(
        fc.oneof(
          hostileArg,
          fc.constant(async () => 'ok'),
        ),
        hostileArg,
        (handler, options) => {
          expectSetup('wrapHandler()', () => wrapHandler(handler as never, options as never));
          expectSetup('middy bentoMiddleware()', () => middyMiddleware(options as never));
          expectSetup('express bentoMiddleware()', () => expressMiddleware(options as never));
          expectSetup('next wrapRouteHandler()', () => wrapRouteHandler(handler as never, options as never));
          expectNoPollution();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('new BentoLabsSpanProcessor(anything) and new BentoLabsTraceExporter(anything)', async () => {
    await check(
      fc.asyncProperty(hostileOptions, async (options) => {
        for (const [label, make] of [
          ['BentoLabsTraceExporter', () => new BentoLabsTraceExporter(options as never)],
          ['BentoLabsSpanProcessor', () => new BentoLabsSpanProcessor(options as never)],
        ] as const) {
          let made: { shutdown(): Promise<void> } | undefined;
          expectSetup(`new ${label}()`, () => (made = make()));
          await made?.shutdown();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('runInvocation(anything, anything) rejects only with a clear setup error, or runs the function', async () => {
    await check(
      fc.asyncProperty(
        fc.oneof(
          hostileArg,
          fc.constant(() => 'ran'),
        ),
        hostileArg,
        async (fn, options) => {
          await expectSetupAsync('runInvocation()', () => runInvocation(fn as never, options as never));
        },
      ),
      {
        numRuns: RUNS,
        examples: [
          [42, {}],
          [() => 'ran', null],
        ],
      },
    );
  });

  it("error classes: constructing one with anything throws at most a TypeError (the message is the caller's)", async () => {
    const onlyTypeError = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
      }
    };
    await check(
      fc.property(hostile, hostile, (code, message) => {
        onlyTypeError(() => new BentoAuthError(code as never, message as never));
        onlyTypeError(() => new BentoConfigError(code as never, 'opt', message as never));
        onlyTypeError(() => new BentoUsageError(code as never, message as never));
      }),
      { numRuns: 50 },
    );
  });
});

describe('recording functions never throw (except the documented TypeError), and never poison a batch', () => {
  let receiver: OtlpReceiver;
  const logger = captureLogger();

  beforeAll(async () => {
    await shutdown();
    receiver = await OtlpReceiver.start();
    // A small queue: 10 MB values are truncated to 1 MiB, and a few of those are plenty.
    init({
      apiKey: KEY,
      baseUrl: receiver.url,
      logger,
      logLevel: 'debug',
      maxQueueSize: 64,
      maxExportBatchSize: 16,
      exportTimeoutMillis: 10_000,
      flushOnExit: false,
    });
  });
  afterAll(async () => {
    await shutdown();
    await receiver.close();
  });
  afterEach(async () => {
    // Whatever was recorded, the endpoint took all of it: no hostile value broke serialization.
    // (The small queue may overflow on purpose; a flush reports those drops, which are not failures.)
    const result = await flush({ timeoutMillis: 20_000 });
    expect(result.error ?? '').not.toMatch(/failed exports|timeout/);
    expect(status().droppedExportFailed).toBe(0);
    expect(receiver.requests.every((r) => r.status === 200)).toBe(true);
    receiver.clear();
  });

  it('trackAi(anything)', async () => {
    await check(
      fc.property(
        fc.oneof(
          hostileArg,
          hostileObject.map((o) => ({ ...o, event: 'e' })),
        ),
        (fields) => {
          const id = expectNoThrow('trackAi()', () => trackAi(fields as never), !fieldsOk(fields));
          if (fieldsOk(fields)) expect(id).toMatch(/^[0-9a-f]{16}$/);
          expectNoPollution();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('trackAi({ event, <every field>: hostile })', async () => {
    const fields = fc.record(
      {
        userId: hostile,
        convoId: hostile,
        model: hostile,
        provider: hostile,
        input: hostile,
        output: hostile,
        properties: hostileArg,
        tags: hostile,
        startTime: hostile,
        endTime: hostile,
        durationMillis: hostile,
        usage: hostileArg,
        error: hostile,
      },
      { requiredKeys: [] },
    );
    await check(
      fc.property(fields, (f) => {
        const id = expectNoThrow('trackAi()', () => trackAi({ event: 'all-fields', ...f } as never));
        expect(id).toMatch(/^[0-9a-f]{16}$/);
      }),
      { numRuns: RUNS },
    );
  });

  it('begin(anything, fn) and the Interaction methods with anything', async () => {
    await check(
      fc.property(
        fc.oneof(
          hostileArg,
          hostileObject.map((o) => ({ ...o, event: 't' })),
        ),
        hostileArg,
        hostileArg,
        hostile,
        (fields, update, finish, name) => {
          const result = expectNoThrow(
            'begin()',
            () =>
              begin(fields as never, (turn) => {
                expectNoThrow('interaction.update()', () => turn.update(update as never));
                expectNoThrow(
                  'interaction.toolSpan()',
                  () => turn.toolSpan(name as never, update as never, () => 'tool'),
                  !validName(name),
                );
                expectNoThrow('currentInteraction()', () => currentInteraction());
                expectNoThrow('updateCurrentTrace()', () => updateCurrentTrace(update as never));
                expectNoThrow('updateCurrentSpan()', () => updateCurrentSpan(update as never));
                expectNoThrow('interaction.finish()', () => turn.finish(finish as never));
                return 'done';
              }),
            !fieldsOk(fields),
          );
          if (fieldsOk(fields)) expect(result).toBe('done');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('begin(anything) handle form, then finish(anything)', async () => {
    await check(
      fc.property(hostileArg, hostileArg, (fields, finish) => {
        // Inside its own async context: the handle form enters the trajectory for the rest of it.
        propagateAttributes({}, () => {
          const turn = expectNoThrow('begin()', () => begin(fields as never), !fieldsOk(fields)) as
            | Interaction
            | undefined;
          expectNoThrow('finish()', () => turn?.finish(finish as never));
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('begin(fields, not-a-function) and toolSpan(name, fields, not-a-function) throw the documented TypeError', async () => {
    await check(
      fc.property(
        hostile.filter((v) => v !== undefined && typeof v !== 'function'),
        (notFn) => {
          expect(() => begin({ event: 'x' }, notFn as never)).toThrow(TypeError);
          expect(() => toolSpan('x', {}, notFn as never)).toThrow(TypeError);
          expect(() => propagateAttributes({}, notFn as never)).toThrow(TypeError);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('toolSpan(anything, anything) and the ToolSpan methods with anything', async () => {
    await check(
      fc.property(hostile, hostileArg, hostile, hostile, hostile, (name, fields, key, value, error) => {
        const span = expectNoThrow('toolSpan()', () => toolSpan(name as never, fields as never), !validName(name)) as
          | ToolSpan
          | undefined;
        if (!span) return;
        expectNoThrow('setOutput()', () => span.setOutput(value));
        expectNoThrow('setAttribute()', () => span.setAttribute(key as never, value));
        expectNoThrow('recordError()', () => span.recordError(error));
        expectNoThrow('end()', () => span.end());
        expectNoThrow('end() twice', () => span.end());
        expectNoPollution();
      }),
      { numRuns: RUNS },
    );
  });

  it('updateCurrentTrace / updateCurrentSpan / propagateAttributes with anything, inside and outside a trajectory', async () => {
    await check(
      fc.property(hostileArg, hostileArg, (patch, identity) => {
        expectNoThrow('updateCurrentTrace() outside', () => updateCurrentTrace(patch as never));
        expectNoThrow('updateCurrentSpan() outside', () => updateCurrentSpan(patch as never));
        const out = expectNoThrow('propagateAttributes()', () =>
          propagateAttributes(identity as never, () =>
            begin({ event: 'scoped' }, () => {
              updateCurrentTrace(patch as never);
              updateCurrentSpan(patch as never);
              trackAi({ event: 'inside' });
              return 'scoped-result';
            }),
          ),
        );
        expect(out).toBe('scoped-result');
        expectNoPollution();
      }),
      { numRuns: RUNS },
    );
  });

  it("interaction()/tool() wrappers called with anything return the function's own result", async () => {
    const answer = interaction(async function answer(...args: unknown[]) {
      return args.length;
    });
    const lookup = tool(function lookup(...args: unknown[]) {
      return args.length;
    });
    await check(
      fc.asyncProperty(fc.array(hostileArg, { maxLength: 4 }), async (args) => {
        expect(await answer(...args)).toBe(args.length);
        expect(lookup(...args)).toBe(args.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('status() and flush(anything) / shutdown(anything) never throw or reject; flush resolves to a result', async () => {
    await check(
      fc.asyncProperty(hostileArg, async (options) => {
        expect(() => JSON.stringify(status())).not.toThrow();
        const result = await flush(options as never);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 60 },
    );
  });

  it('flush({ timeoutMillis }) with a non-finite or huge timeout waits for the export (no 1 ms timer)', async () => {
    // setTimeout(Infinity | NaN | 2**31) fires after 1 ms: such a flush reports "timeout" before the
    // export could possibly have finished, and Node prints a TimeoutOverflowWarning.
    receiver.setFault({ kind: 'delay', millis: 200, times: 3 });
    for (const timeoutMillis of [Infinity, NaN, 2 ** 31]) {
      trackAi({ event: `wait-${timeoutMillis}` });
      const result = await flush({ timeoutMillis });
      expect(result, `flush({ timeoutMillis: ${timeoutMillis} })`).toMatchObject({ ok: true, exported: 1 });
    }
  });
});

describe('adapters at run time, with anything as event, context, request or response', () => {
  it("wrapHandler(h)(anything, anything) resolves to the handler's own result", async () => {
    // Typed loosely on purpose: the runtime (or a test) may call it with anything.
    const wrapped = wrapHandler(async (event: unknown) => ({ got: typeof event })) as unknown as (
      ...args: unknown[]
    ) => Promise<unknown>;
    await check(
      fc.asyncProperty(hostileArg, hostileArg, async (event, context) => {
        await expect(wrapped(event as never, context as never)).resolves.toEqual({ got: typeof event });
      }),
      { numRuns: RUNS },
    );
  });

  it('lambdaAttributes(anything) and deadlineOf(anything) (shared by the Lambda adapters) never throw', async () => {
    await check(
      fc.property(hostileArg, (context) => {
        expectNoThrow('lambdaAttributes()', () => lambdaAttributes(context as never));
        const deadline = expectNoThrow('deadlineOf()', () => deadlineOf(context as never));
        expect(deadline === undefined || Number.isFinite(deadline)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('middy bentoMiddleware() before/after/onError never throw or reject', async () => {
    const mw = middyMiddleware();
    await check(
      fc.asyncProperty(hostileArg, async (request) => {
        for (const phase of ['before', 'after', 'onError'] as const) {
          const hook = mw[phase] as ((r: unknown) => unknown) | undefined;
          await expect(Promise.resolve().then(() => hook?.(request))).resolves.toBeUndefined();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('express bentoMiddleware() and bentoErrorHandler() call next exactly once and never throw', async () => {
    const mw = expressMiddleware({ serverless: false });
    const onError = bentoErrorHandler();
    await check(
      fc.property(hostileArg, hostileArg, hostile, (req, res, error) => {
        const calls: unknown[][] = [];
        const next = (...args: unknown[]) => void calls.push(args);
        expectNoThrow('express bentoMiddleware()', () => mw(req as never, res as never, next));
        expect(calls).toEqual([[]]);
        calls.length = 0;
        expectNoThrow('bentoErrorHandler()', () => onError(error, req as never, res as never, next));
        expect(calls).toHaveLength(1);
        expect(calls[0]?.[0]).toBe(error);
      }),
      { numRuns: RUNS },
    );
  });

  it("next wrapRouteHandler(h)(anything, anything) resolves to the handler's Response", async () => {
    const response = new Response('ok');
    const wrapped = wrapRouteHandler(async () => response, { serverless: false }) as unknown as (
      ...args: unknown[]
    ) => Promise<Response>;
    await check(
      fc.asyncProperty(hostileArg, hostileArg, async (request, context) => {
        await expect(wrapped(request as never, context as never)).resolves.toBe(response);
      }),
      { numRuns: RUNS },
    );
  });
});
