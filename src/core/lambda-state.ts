/**
 * The Lambda delivery state shared by every copy of the SDK in the process (registration, the
 * wrapper, `status()` and doctor). Kept apart from lambda-extension.ts, which holds the Extensions
 * API client and imports `node:http`: `status()` is part of the core entry, and the core entry
 * must bundle for edge runtimes, which have no `node:http`.
 */
import { lambdaEnvironment } from './config.js';
import { sharedSymbol } from './global.js';

export type LambdaDelivery = 'after-response' | 'inline' | 'managed-instances';

export interface Held {
  /** The extension saw INVOKE for this request and holds the freeze for it. */
  seen: boolean;
  /** A wrapped handler runs this request. */
  claimed: boolean;
  /** The wrapper is done with the request (exported, or flushed inline). */
  released: boolean;
  wake: Array<() => void>;
  /** Keeps the event loop alive while the first invocation waits for its INVOKE event. */
  keepAlive?: ReturnType<typeof setTimeout>;
}

export interface ExtensionState {
  delivery: LambdaDelivery;
  reason: string;
  /** Resolves when registration finished (either way). */
  ready?: Promise<void>;
  registered: boolean;
  /** Registered, but an INVOKE event was missing when a wrapper needed it: deliver inline. */
  invokeMissing: boolean;
  /** INVOKE events received so far. */
  invokesSeen: number;
  /** A request answered before its INVOKE event was read, until that event arrives. */
  unconfirmed?: string;
  wrappers: number;
  requests: Map<string, Held>;
  /** Flushes of the SDK copies in this process, for the final flush on SIGTERM. */
  flushers: Set<(timeoutMillis: number) => Promise<unknown>>;
}

const KEY = sharedSymbol('lambda-extension');

/** The process-wide state, created on first use from the environment. */
export function extensionState(): ExtensionState {
  const g = globalThis as unknown as Record<symbol, ExtensionState | undefined>;
  let state = g[KEY];
  if (!state) {
    state = {
      delivery: 'inline',
      reason: 'not running on AWS Lambda (no AWS_LAMBDA_RUNTIME_API)',
      registered: false,
      invokeMissing: false,
      invokesSeen: 0,
      wrappers: 0,
      requests: new Map(),
      flushers: new Set(),
    };
    const envs = lambdaEnvironment();
    if (envs.managedInstances) {
      state.delivery = 'managed-instances';
      state.reason =
        'Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY or AWS_LAMBDA_INITIALIZATION_TYPE): ' +
        'no freeze between invocations; spans are exported in the background after each response';
    } else if (envs.runtimeApi !== undefined) {
      state.reason =
        'the extension was not registered during init: import `@bentolabs/sdk/lambda` from an ESM handler, ' +
        'or preload it with NODE_OPTIONS="--import @bentolabs/sdk/lambda/register"';
    }
    g[KEY] = state;
  }
  return state;
}
