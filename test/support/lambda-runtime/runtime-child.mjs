// The child side of the Lambda harness: a stand-in for the Lambda Node.js runtime
// interface client. Plain ESM so it runs under bare `node` with no TypeScript loader.
//
//   node runtime-child.mjs <handlerModule> <exportName> [--freeze-after-init] [--wait-for-empty-event-loop]
//
// Invocations arrive on stdin as one JSON line per batch: {"invocations":[{requestId, event,
// deadlineMs, invokedFunctionArn}]}. Outcomes go to the parent on fd 3, and the moment the
// last invocation of the batch settles the process SIGSTOPs itself in the same synchronous
// turn. That is stricter than Lambda (which freezes once the runtime asks for the next event,
// a few event-loop turns later) and is the point: whatever the code under test has not
// delivered by the time the handler settles is visibly not delivered.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  CollectingResponseStream,
  installAwsLambdaGlobal,
  isStreamingHandler,
  streamingHighWaterMark,
} from './response-stream.mjs';

const REPORT_FD = 3;
const [handlerModule, exportName = 'handler', ...flags] = process.argv.slice(2);
const freezeAfterInit = flags.includes('--freeze-after-init');
// Off by default: the harness settles a callback handler at callback() even though the real
// runtime (callbackWaitsForEmptyEventLoop = true) only freezes once the event loop drained.
const honourEmptyEventLoop = flags.includes('--wait-for-empty-event-loop');

/** requestId -> state of every invocation that has not settled yet. */
const inflight = new Map();
let handler;
let streaming = false;

function send(message) {
  const bytes = Buffer.from(`${JSON.stringify(message)}\n`);
  let offset = 0;
  // fd 3 is our end of a blocking socketpair, so EAGAIN should not happen; if it ever does,
  // spinning is still better than yielding to the event loop before the freeze.
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(REPORT_FD, bytes, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

function freeze() {
  // kill(2) on our own pid is delivered before the syscall returns: no JS runs after this
  // line until the parent sends SIGCONT.
  process.kill(process.pid, 'SIGSTOP');
}

function toErrorReport(error) {
  // Mirrors the runtime's errorType/errorMessage: Errors keep their name, anything else
  // (callback('boom'), context.fail()) is reported by its typeof.
  if (error instanceof Error || (error && typeof error.name === 'string' && typeof error.message === 'string')) {
    return { name: error.name, message: error.message, stack: error.stack };
  }
  return { name: typeof error, message: String(error) };
}

const success = (result) => ({ outcome: 'success', result });
const failure = (error) => ({ outcome: 'error', error: toErrorReport(error) });

function settle(state, outcome) {
  if (state.settled) return;
  state.settled = true;
  inflight.delete(state.requestId);
  const message = {
    type: 'result',
    requestId: state.requestId,
    durationMillis: performance.now() - state.startedAt,
    ...outcome,
  };
  try {
    send(message);
  } catch (error) {
    // An unserialisable result (a cycle, a BigInt) fails the invocation, as it does on Lambda.
    send({ ...message, outcome: 'error', result: undefined, error: toErrorReport(error) });
  }
  if (inflight.size === 0) {
    process.stdin.ref();
    freeze();
  }
}

function baseContext(invocation) {
  const env = process.env;
  return {
    awsRequestId: invocation.requestId,
    invokedFunctionArn: invocation.invokedFunctionArn,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    // A string on Lambda too: it is copied from the environment untouched.
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: undefined,
    identity: undefined,
    getRemainingTimeInMillis: () => invocation.deadlineMs - Date.now(),
  };
}

function isThenable(value) {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function'
  );
}

// Non-streaming handlers always get (event, context, callback), whatever their arity: the
// nodejs20.x runtime settles on the FIRST of callback(), context.succeed/fail/done, or the
// returned thenable, and ignores every later call.
function runBuffered(state, invocation) {
  let finished = false;
  let waitsForEmptyEventLoop = true;
  const once =
    (fn) =>
    (...args) => {
      if (finished) return;
      finished = true;
      fn(...args);
    };
  const done = (error, result) =>
    settle(state, error !== undefined && error !== null ? failure(error) : success(result));
  const callback = once((error, result) => {
    if (error !== undefined && error !== null) return settle(state, failure(error));
    // Lambda returns the response at callback() but freezes only after the loop drained.
    if (honourEmptyEventLoop && waitsForEmptyEventLoop) state.afterDrain = success(result);
    else settle(state, success(result));
  });
  const context = Object.assign(
    {
      get callbackWaitsForEmptyEventLoop() {
        return waitsForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitsForEmptyEventLoop = value;
      },
      succeed: once((result) => done(null, result)),
      fail: once((error) => done(error ?? 'handled')),
      done: once(done),
    },
    baseContext(invocation),
  );
  let returned;
  try {
    returned = handler(invocation.event, context, callback);
  } catch (error) {
    callback(error);
    return;
  }
  if (isThenable(returned)) returned.then(context.succeed, context.fail);
}

function runStreaming(state, invocation) {
  const responseStream = new CollectingResponseStream(streamingHighWaterMark(handler));
  let waitsForEmptyEventLoop = true;
  const context = Object.assign(
    {
      get callbackWaitsForEmptyEventLoop() {
        return waitsForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitsForEmptyEventLoop = value;
      },
    },
    baseContext(invocation),
  );
  const fail = (error) => settle(state, { ...failure(error), stream: responseStream.snapshot() });
  let returned;
  try {
    returned = handler(invocation.event, responseStream, context);
  } catch (error) {
    return fail(error);
  }
  if (!isThenable(returned)) return fail(new Error('Streaming does not support non-async handlers.'));
  const ended = new Promise((resolve, reject) => {
    responseStream.once('finish', resolve);
    responseStream.once('error', reject);
    responseStream.once('close', () => {
      if (!responseStream.writableFinished) reject(new Error('Response stream is not finished.'));
    });
  });
  // The runtime completes a streaming invocation once BOTH the handler's promise resolved and
  // the response stream finished: code after end() still runs before the freeze.
  Promise.all([returned, ended]).then(([result]) => {
    if (result !== undefined) console.warn('Streaming handlers ignore return values.');
    const outcome = { outcome: 'success', stream: responseStream.snapshot() };
    if (honourEmptyEventLoop && waitsForEmptyEventLoop) state.afterDrain = outcome;
    else settle(state, outcome);
  }, fail);
}

function dispatch({ invocations }) {
  // Unref'd stdin lets 'beforeExit' tell us the event loop drained, which is the signal the
  // real runtime's BeforeExitListener is built on.
  process.stdin.unref();
  const started = invocations.map((invocation) => {
    const state = {
      requestId: invocation.requestId,
      startedAt: performance.now(),
      settled: false,
      afterDrain: undefined,
    };
    inflight.set(invocation.requestId, state);
    return [state, invocation];
  });
  // All states are registered before any handler runs, so a handler that settles
  // synchronously cannot freeze the process before its siblings have started.
  for (const [state, invocation] of started) {
    if (streaming) runStreaming(state, invocation);
    else runBuffered(state, invocation);
  }
}

process.on('beforeExit', () => {
  const isAsyncFunction = handler?.constructor?.name === 'AsyncFunction';
  for (const state of [...inflight.values()]) {
    if (state.afterDrain) settle(state, state.afterDrain);
    else if (!streaming) {
      // What nodejs20.x does when the loop empties with no answer: an `async function`
      // handler is failed with Runtime.NodeJsExit, anything else succeeds with null.
      settle(
        state,
        isAsyncFunction
          ? {
              outcome: 'error',
              error: { name: 'Runtime.NodeJsExit', message: 'Runtime exited without providing a reason' },
            }
          : success(null),
      );
    }
  }
  // Whatever is left (an unfinished stream) must keep the process alive until the deadline.
  process.stdin.ref();
});

function crash(error, exitCode) {
  // The runtime reports the error for the current invocation, then exits; the parent turns
  // that into outcome 'crash' and starts a fresh process on the next invoke.
  send({ type: 'crash', requestIds: [...inflight.keys()], error: toErrorReport(error), exitCode });
  process.exit(exitCode);
}
process.on('uncaughtException', (error) => crash(error, 129));
process.on('unhandledRejection', (reason) => crash(reason, 128));

async function init() {
  installAwsLambdaGlobal();
  try {
    const module = await import(pathToFileURL(handlerModule).href);
    // CommonJS modules whose exports cjs-module-lexer cannot see only show up on `default`.
    const candidate = module[exportName] ?? module.default?.[exportName];
    if (typeof candidate !== 'function') {
      const error = new Error(`${process.env._HANDLER} is undefined or not exported`);
      error.name = 'Runtime.HandlerNotFound';
      throw error;
    }
    handler = candidate;
    streaming = isStreamingHandler(handler);
  } catch (error) {
    send({ type: 'init-error', error: toErrorReport(error) });
    process.exit(1);
  }

  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') dispatch(JSON.parse(line));
    }
  });
  // The parent closed our stdin (it is gone or stopping us): nothing will ever be invoked again.
  process.stdin.on('end', () => process.exit(0));

  send({ type: 'ready' });
  if (freezeAfterInit) freeze();
}

await init();
