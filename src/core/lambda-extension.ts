/**
 * Delivery after the response on AWS Lambda: an *internal extension* in the function's own
 * process (Extensions API 2020-01-01). Lambda hands the response to the caller as soon as the
 * runtime posts it, and freezes the sandbox only once the runtime and every registered extension
 * ask for their next event. So: register for INVOKE during init; on INVOKE for request R, hold
 * the freeze until the wrapped handler of R has answered and exported what R recorded; then ask
 * for the next event.
 *
 * The state lives on `globalThis` under a registry symbol because the registration (an ESM
 * preload, `@bentolabs/sdk/lambda/register`, or the ESM `@bentolabs/sdk/lambda` entry) and the
 * wrapper (possibly the CommonJS build) can be two copies of this module in one process.
 */
import { isFlushOnly, markFlushOnly, reraise } from './exit-hooks.js';
import { withoutHostTracing } from './host-context.js';
import * as http from 'node:http';
import { extensionState, type ExtensionState, type Held } from './lambda-state.js';
import { lambdaEnvironment } from './config.js';
import { log } from './logger.js';
import { epochNow, realClearTimeout, realSetTimeout, settleWithin, unref } from './timers.js';

const EXTENSION_NAME = 'bentolabs';
const REGISTER_TIMEOUT_MILLIS = 2000;
/** How long the extension holds an INVOKE no wrapped handler claims (an unwrapped handler). */
const CLAIM_TIMEOUT_MILLIS = 250;
/**
 * How long the first wrapped invocation of a process waits for its INVOKE event before delivering
 * inline (an emulator that never sends INVOKE costs this once). Later invocations never wait: see
 * `holdsFreeze`.
 */
const FIRST_INVOKE_GRACE_MILLIS = 100;
const SIGTERM_FLUSH_MILLIS = 300;
const REGISTERED_REASON = 'internal extension registered: spans are exported after the runtime posts each response';
const MISSING_REASON =
  'registered, but no INVOKE event arrived for an invocation (an emulator that does not send them?): flushing before each response';

/**
 * Registers the internal extension when this process is a Lambda function that can use it.
 * Awaited by the ESM entry points (top-level await), so registration ends before the runtime's
 * first `/next`, after which Lambda refuses it. Never rejects; a failure means inline delivery.
 */
export function registerExtension(): Promise<void> {
  const state = extensionState();
  if (state.ready) return state.ready;
  const envs = lambdaEnvironment();
  if (state.delivery === 'managed-instances' || envs.runtimeApi === undefined) return Promise.resolve();
  if (!envs.enabled) {
    state.reason = 'the SDK is disabled (BENTOLABS_ENABLED)';
    return Promise.resolve();
  }
  if (envs.deliverAfterResponse === false) {
    state.reason = 'BENTOLABS_DELIVER_AFTER_RESPONSE=false: flushing before each response';
    return Promise.resolve();
  }
  const api = envs.runtimeApi;
  state.ready = request(api, 'POST', '/2020-01-01/extension/register', {
    headers: { 'Lambda-Extension-Name': EXTENSION_NAME, 'Content-Type': 'application/json' },
    body: JSON.stringify({ events: ['INVOKE'] }),
    timeoutMillis: REGISTER_TIMEOUT_MILLIS,
  }).then(
    (res) => {
      const id = res.headers['lambda-extension-identifier'];
      if (res.status !== 200 || typeof id !== 'string') {
        const answer = `HTTP ${res.status} ${res.body.slice(0, 200)}`;
        state.reason = `the Extensions API refused registration (${answer}): flushing before each response`;
        return;
      }
      state.registered = true;
      state.delivery = 'after-response';
      state.reason = REGISTERED_REASON;
      void eventLoop(state, api, id);
      watchSigterm(state);
    },
    (error: unknown) => {
      state.reason = `registering the extension failed (${String(error)}): flushing before each response`;
    },
  );
  return state.ready;
}

/** Asks for events forever: INVOKE holds the freeze until the wrapper released its request. */
async function eventLoop(state: ExtensionState, api: string, id: string): Promise<void> {
  for (;;) {
    let event: { eventType?: string; requestId?: string; deadlineMs?: number };
    try {
      // No timeout: the long-poll lasts as long as the sandbox stays idle (frozen in between).
      const res = await nextEvent(api, id);
      if (res.status !== 200) throw new Error(`HTTP ${res.status} ${res.body.slice(0, 200)}`);
      event = JSON.parse(res.body) as typeof event;
    } catch (error) {
      state.registered = false;
      state.delivery = 'inline';
      state.reason = `the extension's event loop failed (${String(error)}): flushing before each response`;
      return;
    }
    if (event.eventType === 'INVOKE' && typeof event.requestId === 'string') {
      state.invokesSeen += 1;
      if (state.unconfirmed === event.requestId) state.unconfirmed = undefined;
      // INVOKE events do come (one was late, or stopped for a while): back to after the response.
      if (state.invokeMissing && state.reason === MISSING_REASON) {
        state.invokeMissing = false;
        state.delivery = 'after-response';
        state.reason = REGISTERED_REASON;
      }
      await hold(state, event.requestId, typeof event.deadlineMs === 'number' ? event.deadlineMs : epochNow() + 1000);
    } else if (event.eventType === 'SHUTDOWN') return;
  }
}

/**
 * `GET /event/next` on the kept-alive connection; a connection the API closed while it was idle
 * (between the INVOKE event and this request) fails the request at once: then once more on a new one.
 */
async function nextEvent(api: string, id: string): Promise<Answer> {
  const ask = () =>
    request(api, 'GET', '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } });
  try {
    return await ask();
  } catch {
    return ask();
  }
}

const MAX_TRACKED_REQUESTS = 64;

function entry(state: ExtensionState, requestId: string): Held {
  let held = state.requests.get(requestId);
  if (!held) {
    held = { seen: false, claimed: false, released: false, wake: [] };
    state.requests.set(requestId, held);
    // Requests whose INVOKE never came are forgotten, oldest first.
    if (state.requests.size > MAX_TRACKED_REQUESTS) {
      const oldest = state.requests.keys().next().value;
      if (oldest !== undefined) state.requests.delete(oldest);
    }
  }
  return held;
}

function wakeAll(held: Held): void {
  for (const wake of held.wake.splice(0)) wake();
}

/** Holds the freeze for `requestId` until it is released, never past its deadline. */
async function hold(state: ExtensionState, requestId: string, deadlineMs: number): Promise<void> {
  const held = entry(state, requestId);
  held.seen = true;
  stopKeepAlive(held);
  wakeAll(held);
  if (state.wrappers > 0 && !held.released) {
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        realClearTimeout(unclaimed);
        realClearTimeout(deadline);
        resolve();
      };
      const check = (): void => {
        if (held.released) finish();
        else held.wake.push(check);
      };
      // An unwrapped handler never claims its request; the deadline bounds everything else.
      const unclaimed = unref(realSetTimeout(() => !held.claimed && finish(), CLAIM_TIMEOUT_MILLIS));
      const deadline = unref(realSetTimeout(finish, Math.max(0, deadlineMs - epochNow())));
      check();
    });
  }
  state.requests.delete(requestId);
}

function stopKeepAlive(held: Held): void {
  if (held.keepAlive !== undefined) realClearTimeout(held.keepAlive);
  held.keepAlive = undefined;
}

/** A wrapped handler starts running `requestId`. */
export function claim(requestId: string): void {
  const state = extensionState();
  if (!state.registered) return;
  const held = entry(state, requestId);
  held.claimed = true;
  wakeAll(held);
  if (state.unconfirmed !== undefined && state.unconfirmed !== requestId) invokeStopped(state, state.unconfirmed);
  // Before any INVOKE event was seen, the answer waits for this one (see heldForExport), and so
  // does an answer given by the event loop draining (Node 22): the loop is kept alive until the
  // event is read, or the grace is over.
  if (!held.seen && state.invokesSeen === 0 && !state.invokeMissing) {
    held.keepAlive = realSetTimeout(() => (held.keepAlive = undefined), FIRST_INVOKE_GRACE_MILLIS);
  }
}

/**
 * Lambda sends INVOKE to every registered extension with every event, so a request answered before
 * its INVOKE was read always gets it before the next one starts (the extension asks for the next
 * event only after reading it). Only an emulator that stops sending them gets here: the export of
 * that request ran after the response without a hold, and may have been cut off by the freeze.
 */
function invokeStopped(state: ExtensionState, requestId: string): void {
  state.unconfirmed = undefined;
  missing(state);
  log.warn(
    `No INVOKE event arrived for the Lambda request ${requestId} although earlier ones did: its spans were exported ` +
      'after the response without the extension holding the freeze, and may be lost. Flushing before each response from now on.',
  );
}

function missing(state: ExtensionState): void {
  state.invokeMissing = true;
  // A wrapper's `deliverAfterResponse: false` may have said 'inline' already, with its own reason.
  if (state.delivery !== 'after-response') return;
  state.delivery = 'inline';
  state.reason = MISSING_REASON;
}

/**
 * Whether the extension holds the freeze for `requestId` until it is released, so the answer may
 * go to the runtime now and the spans be exported after it: `undefined` while that is not known yet
 * (the first invocation, its INVOKE event not read yet).
 *
 * Once INVOKE events have arrived in this process, the answer does not wait for this request's
 * one: Lambda freezes only when every extension is back in `next`, ours asks for it only after
 * reading INVOKE for this request and seeing it released, and it is released only after the
 * export. So the response goes at once, and the export still ends before the freeze. The request
 * is noted as unconfirmed until its INVOKE arrives (see `invokeStopped`).
 */
export function holdsFreeze(requestId: string | undefined): boolean | undefined {
  const state = extensionState();
  if (!state.registered || requestId === undefined || state.invokeMissing) return false;
  const held = state.requests.get(requestId);
  if (!held?.claimed || held.released) return false;
  if (held.seen) return true;
  if (state.invokesSeen === 0) return undefined;
  state.unconfirmed = requestId;
  return true;
}

/**
 * `holdsFreeze`, waiting for the INVOKE event where that is not known yet (the first invocation),
 * at most FIRST_INVOKE_GRACE_MILLIS; without it, INVOKE is taken as missing from then on.
 */
export async function heldForExport(requestId: string | undefined): Promise<boolean> {
  const known = holdsFreeze(requestId);
  if (known !== undefined) return known;
  const state = extensionState();
  const held = entry(state, requestId as string);
  const seen = await new Promise<boolean>((resolve) => {
    const timer = realSetTimeout(() => resolve(false), FIRST_INVOKE_GRACE_MILLIS);
    const check = (): void => {
      if (!held.seen) {
        held.wake.push(check);
        return;
      }
      realClearTimeout(timer);
      resolve(true);
    };
    check();
  });
  if (!seen) missing(state);
  return seen && !held.released;
}

/** The event loop drained (Node 22 answers then) with `holdsFreeze` still undecided: INVOKE is missing. */
export function invokeOverdue(): void {
  missing(extensionState());
}

/** The wrapper is done with `requestId`: the extension may ask for the next event. */
export function release(requestId: string | undefined): void {
  if (requestId === undefined) return;
  const state = extensionState();
  const held = state.requests.get(requestId);
  if (!held) {
    // Answered inline before the INVOKE event was read: let the event pass at once.
    if (state.registered) entry(state, requestId).released = true;
    return;
  }
  held.released = true;
  stopKeepAlive(held);
  wakeAll(held);
}

/**
 * Lambda sends SIGTERM at shutdown when an extension is registered, and SIGKILL 500 ms later: a
 * final flush within 300 ms. Any SIGTERM listener turns off Node's default exit on SIGTERM, so
 * ours (a `once` listener) re-raises the signal after the flush when no other listener that
 * decides the exit is left: the process ends exactly as it would have without us. Never exits.
 */
function watchSigterm(state: ExtensionState): void {
  if (typeof process.once !== 'function') return;
  const onTerm = (signal: NodeJS.Signals): void => {
    const flushes = [...state.flushers].map((flush) => flush(SIGTERM_FLUSH_MILLIS).catch(() => undefined));
    void settleWithin(Promise.all(flushes), SIGTERM_FLUSH_MILLIS).then(() => {
      if (process.listeners(signal).some((l) => !isFlushOnly(l))) return;
      reraise(signal);
    });
  };
  markFlushOnly(onTerm);
  process.once('SIGTERM', onTerm);
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let agent: http.Agent | undefined;

/**
 * One connection, kept alive, for registration and every `event/next`: a new connection per event
 * costs a connect after each export (billed time) and a close handled in the process right when
 * the INVOKE event arrives, i.e. while the handler runs (about 0.3 ms of response time measured
 * under the emulator; see the README). The agent unrefs it while idle.
 */
function keptAlive(): http.Agent {
  agent ??= new http.Agent({ keepAlive: true, maxSockets: 1 });
  return agent;
}

/**
 * One request to the local Extensions API: outside the host's HTTP instrumentation (tracing
 * suppressed). The long-poll has no timeout and an unref'd socket, so it never keeps the process
 * alive; registration is bounded by its timeout and does keep it alive, since init awaits it.
 */
function request(
  api: string,
  method: string,
  path: string,
  options: { headers: Record<string, string>; body?: string; timeoutMillis?: number },
): Promise<Answer> {
  const [host, port] = splitHostPort(api);
  return withoutHostTracing(
    () =>
      new Promise<Answer>((resolve, reject) => {
        const req = http.request({ host, port, method, path, headers: options.headers, agent: keptAlive() }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        });
        // Registration keeps the process alive (module evaluation awaits it, bounded by its
        // timeout); the long-poll never does.
        if (options.timeoutMillis === undefined) req.on('socket', (socket) => socket.unref());
        req.on('error', reject);
        if (options.timeoutMillis !== undefined) {
          const timer = realSetTimeout(
            () => req.destroy(new Error(`no answer within ${options.timeoutMillis} ms`)),
            options.timeoutMillis,
          );
          req.on('close', () => realClearTimeout(timer));
        }
        req.end(options.body);
      }),
  );
}

function splitHostPort(api: string): [string, number] {
  const at = api.lastIndexOf(':');
  return at === -1 ? [api, 80] : [api.slice(0, at), Number(api.slice(at + 1))];
}
