/**
 * `status()`: everything a user needs when "nothing shows up", as one plain object. Each item of
 * the vendor's troubleshooting page maps to a field here (see the README's troubleshooting table).
 */
import { initState, peekClient } from './client.js';
import { peekConfiguration, redactKey, type BentoProtocol } from './config.js';
import { extensionState, type LambdaDelivery } from './lambda-state.js';
import { openCounts } from './open-spans.js';
import { SDK_VERSION } from './version.js';
import { listWarnings, type BentoWarning } from './warnings.js';

/** What `status()` returns. */
export interface BentoStatus {
  sdkVersion: string;
  /** A private provider is running and recording. */
  initialised: boolean;
  /** `false` when disabled by `enabled: false` or `BENTOLABS_ENABLED`. */
  enabled: boolean;
  /** Why nothing is recorded, when `initialised` is false. */
  reason?: string;
  /** The resolved base URL and the full endpoint spans go to. */
  baseUrl?: string;
  tracesUrl?: string;
  /** `bl_pk_…abcd`: which key is in use, never the key itself. */
  keyPrefix?: string;
  /** The encoding in use now (`http/json` after a 415 fallback). */
  protocol?: BentoProtocol;
  /** Spans waiting in the queue now, and in an export request now. */
  queueLength: number;
  inFlight: number;
  maxQueueSize?: number;
  /** Span counts since init. `recorded = exported + dropped + queueLength + inFlight`. */
  recorded: number;
  exported: number;
  dropped: number;
  droppedQueueFull: number;
  droppedExportFailed: number;
  /** Export requests made and failed since init. */
  exportRequests: number;
  failedExports: number;
  /** The last export request: when, whether it worked, its HTTP status or error. */
  lastExport?: { at: string; ok: boolean; spans: number; httpStatus?: number; error?: string };
  /** Error of the latest failed attempt while an export is still retrying (e.g. ECONNREFUSED). */
  lastAttemptError?: string;
  /** Flush on beforeExit/SIGTERM/SIGINT is armed. */
  flushOnExit: boolean;
  /** Longest time the exit hooks keep the process alive to deliver what is queued. */
  exitFlushTimeoutMillis?: number;
  /** Why the last `init()` (or lazy start) failed: the error's name, stable `code` and message. */
  initError?: { name: string; code?: string; message: string };
  /** Trajectories and tool spans open now: they are exported only when they finish. */
  openTrajectories: number;
  openToolSpans: number;
  /** Every warning the SDK logged since init (once each), with how often its condition was seen. */
  warnings: BentoWarning[];
  /** How the Lambda adapter delivers spans in this process, and why (see the README's Lambda section). */
  lambda: { delivery: LambdaDelivery; reason: string };
}

function lambdaStatus(): BentoStatus['lambda'] {
  const { delivery, reason } = extensionState();
  return { delivery, reason };
}

function describeInitError(error: Error | undefined): BentoStatus['initError'] {
  if (!error) return undefined;
  const code = (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === 'string' && { code }), message: error.message };
}

/** The fields every status has, initialised or not. */
function common(
  initError: Error | undefined,
): Pick<BentoStatus, 'openTrajectories' | 'openToolSpans' | 'warnings' | 'initError'> {
  const open = openCounts();
  const error = describeInitError(initError);
  return {
    openTrajectories: open.trajectories,
    openToolSpans: open.tools,
    warnings: listWarnings(),
    ...(error && { initError: error }),
  };
}

/**
 * Describes the SDK's state: where spans go, with which key, and what happened to them.
 * @example
 * console.log(status()); // { initialised: true, tracesUrl: 'https://api.bentolabs.ai/v1/traces', exported: 12, dropped: 0, ... }
 */
export function status(): BentoStatus {
  const client = peekClient();
  const st = initState();
  if (!client) {
    const reason = st.disabled
      ? 'disabled by `enabled: false` or BENTOLABS_ENABLED'
      : st.initError
        ? `initialisation failed: ${st.initError.message}`
        : 'not initialised yet: init() or the first recording call starts the SDK';
    // Best effort: where spans would go and with which key, so a failed init is still diagnosable.
    const peek = peekConfiguration(st.failedOptions);
    return {
      sdkVersion: SDK_VERSION,
      initialised: false,
      enabled: !st.disabled,
      reason,
      ...(peek.baseUrl !== undefined && { baseUrl: peek.baseUrl, tracesUrl: `${peek.baseUrl}/v1/traces` }),
      ...(peek.protocol !== undefined && { protocol: peek.protocol }),
      ...(peek.keyPrefix !== undefined && { keyPrefix: peek.keyPrefix }),
      queueLength: 0,
      inFlight: 0,
      recorded: 0,
      exported: 0,
      dropped: 0,
      droppedQueueFull: 0,
      droppedExportFailed: 0,
      exportRequests: 0,
      failedExports: 0,
      flushOnExit: false,
      ...common(st.initError),
      lambda: lambdaStatus(),
    };
  }
  const c = client.processor.counters();
  const exporter = client.processor.exporter;
  const last = exporter.lastOutcome;
  return {
    sdkVersion: SDK_VERSION,
    initialised: true,
    enabled: true,
    baseUrl: client.options.baseUrl,
    tracesUrl: client.options.tracesUrl,
    keyPrefix: redactKey(client.options.apiKey),
    protocol: exporter.currentProtocol,
    queueLength: c.queued,
    inFlight: c.inFlight,
    maxQueueSize: client.options.maxQueueSize,
    recorded: c.recorded,
    exported: c.exported,
    dropped: c.dropped,
    droppedQueueFull: c.droppedQueueFull,
    droppedExportFailed: c.droppedExportFailed,
    exportRequests: exporter.counts.requests,
    failedExports: exporter.counts.failedRequests,
    ...(last && {
      lastExport: {
        at: new Date(last.at).toISOString(),
        ok: last.ok,
        spans: last.spans,
        ...(last.httpStatus !== undefined && { httpStatus: last.httpStatus }),
        ...(last.error !== undefined && { error: last.error }),
      },
    }),
    ...(exporter.lastAttemptError !== undefined && { lastAttemptError: exporter.lastAttemptError }),
    flushOnExit: client.options.flushOnExit,
    exitFlushTimeoutMillis: client.options.exitFlushTimeoutMillis,
    ...common(st.initError),
    lambda: lambdaStatus(),
  };
}
