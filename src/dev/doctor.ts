/**
 * `bentolabs doctor`: the vendor's "nothing shows up" troubleshooting page as one command. Each
 * check resolves configuration with the SDK's own `resolveOptions` (so it sees exactly what the
 * SDK would) and talks to the endpoint through the SDK's own exporter.
 */
import http from 'node:http';
import https from 'node:https';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BentoAuthError } from '../core/errors.js';
import {
  detectServerless,
  disabledByEnvironment,
  redactKey,
  resolveOptions,
  type BentoProtocol,
} from '../core/config.js';
import { BentoLabsTraceExporter } from '../core/exporter.js';
import { SDK_VERSION } from '../core/version.js';

export type CheckStatus = 'ok' | 'info' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  id:
    | 'sdk'
    | 'enabled'
    | 'api_key'
    | 'base_url'
    | 'protocol'
    | 'deployment'
    | 'reachable'
    | 'auth'
    | 'protobuf'
    | 'json'
    | 'runtime';
  status: CheckStatus;
  title: string;
  detail: string;
  /** One line telling what to do; present for every `warn` and `fail`. */
  fix?: string;
}

export interface DoctorReport {
  /** No check is `warn` or `fail`. */
  ok: boolean;
  sdkVersion: string;
  baseUrl?: string;
  tracesUrl?: string;
  keyPrefix?: string;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** Overrides BENTOLABS_API_KEY, as `init({ apiKey })` would. */
  apiKey?: string;
  /** Overrides BENTOLABS_BASE_URL, as `init({ baseUrl })` would. */
  baseUrl?: string;
  /** Per network step. @default 5000 */
  timeoutMillis?: number;
}

// Placeholders isolate one option per resolveOptions() call, so one bad value does not hide the rest.
const PLACEHOLDER_KEY = 'bl_pk_doctor_placeholder';
const PLACEHOLDER_URL = 'https://doctor.invalid';
const ISOLATE = { logLevel: 'silent', enabled: true, serviceName: 'bentolabs-doctor' } as const;

const isLoopback = (host: string) =>
  host === 'localhost' ||
  host.endsWith('.localhost') ||
  host.startsWith('127.') ||
  host === '[::1]' ||
  host === '0.0.0.0';

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const timeout = options.timeoutMillis ?? 5000;
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => checks.push(c);

  const [major] = process.versions.node.split('.').map(Number);
  add(
    (major ?? 0) >= 20
      ? {
          id: 'sdk',
          status: 'ok',
          title: 'SDK',
          detail: `@bentolabs/sdk ${SDK_VERSION} on Node.js ${process.versions.node}`,
        }
      : {
          id: 'sdk',
          status: 'fail',
          title: 'SDK',
          detail: `@bentolabs/sdk ${SDK_VERSION} needs Node.js >= 20, this is ${process.versions.node}`,
          fix: 'Run on Node.js 20 or newer (Lambda runtime nodejs20.x or later).',
        },
  );

  add(enabledCheck());

  let apiKey: string | undefined;
  const keySource = options.apiKey !== undefined ? '--api-key' : 'BENTOLABS_API_KEY';
  try {
    apiKey = resolveOptions({
      ...ISOLATE,
      apiKey: options.apiKey,
      baseUrl: PLACEHOLDER_URL,
      protocol: 'http/protobuf',
    }).apiKey;
    add({
      id: 'api_key',
      status: 'ok',
      title: 'API key',
      detail: `${redactKey(apiKey)} (from ${keySource}), well-formed`,
    });
  } catch (error) {
    const missing = error instanceof BentoAuthError && error.code === 'missing_api_key';
    add(
      missing
        ? {
            id: 'api_key',
            status: 'fail',
            title: 'API key',
            detail: `${keySource} is not set in this process`,
            fix: 'Set BENTOLABS_API_KEY=bl_pk_… in the environment that starts this process (IDE, CI, Lambda configuration), not only in your shell profile.',
          }
        : {
            id: 'api_key',
            status: 'fail',
            title: 'API key',
            detail: (error as Error).message,
            fix: "Use the project's public key: it starts with bl_pk_ and has no quotes or spaces around it.",
          },
    );
  }

  let baseUrl: string | undefined;
  let tracesUrl: string | undefined;
  const urlSource =
    options.baseUrl !== undefined
      ? '--base-url'
      : process.env.BENTOLABS_BASE_URL?.trim()
        ? 'BENTOLABS_BASE_URL'
        : 'default';
  try {
    const resolved = resolveOptions({
      ...ISOLATE,
      apiKey: PLACEHOLDER_KEY,
      baseUrl: options.baseUrl,
      protocol: 'http/protobuf',
    });
    baseUrl = resolved.baseUrl;
    tracesUrl = resolved.tracesUrl;
    add(urlCheck(baseUrl, tracesUrl, urlSource));
  } catch (error) {
    add({
      id: 'base_url',
      status: 'fail',
      title: 'Base URL',
      detail: (error as Error).message,
      fix: 'Set BENTOLABS_BASE_URL to a full URL with its scheme (http://localhost:8080), or unset it to use https://api.bentolabs.ai.',
    });
  }

  let protocol: BentoProtocol = 'http/protobuf';
  try {
    protocol = resolveOptions({ ...ISOLATE, apiKey: PLACEHOLDER_KEY, baseUrl: PLACEHOLDER_URL }).protocol;
    add({
      id: 'protocol',
      status: 'info',
      title: 'Protocol',
      detail: `${protocol}${process.env.BENTOLABS_PROTOCOL?.trim() ? ' (from BENTOLABS_PROTOCOL)' : ' (default)'}`,
    });
  } catch (error) {
    add({
      id: 'protocol',
      status: 'fail',
      title: 'Protocol',
      detail: (error as Error).message,
      fix: 'Set BENTOLABS_PROTOCOL to http/protobuf or http/json, or unset it.',
    });
  }

  if (baseUrl) add(deploymentCheck(baseUrl));

  const reachable = tracesUrl
    ? await reachCheck(tracesUrl, timeout)
    : { id: 'reachable' as const, status: 'skip' as const, title: 'Reachable', detail: 'skipped: no valid base URL' };
  add(reachable);

  if (apiKey && baseUrl && reachable.status === 'ok') {
    for (const c of await exportChecks(apiKey, baseUrl, protocol, timeout)) add(c);
  } else {
    const why = !apiKey ? 'no usable API key' : !baseUrl ? 'no valid base URL' : 'endpoint not reachable';
    for (const [id, title] of [
      ['auth', 'Key accepted'],
      ['protobuf', 'Protobuf'],
      ['json', 'JSON'],
    ] as const)
      add({ id, status: 'skip', title, detail: `skipped: ${why}` });
  }

  const platform = detectServerless();
  if (platform) {
    add({
      id: 'runtime',
      status: 'info',
      title: 'Runtime',
      detail: `${platform}: wrap handlers with the adapter (@bentolabs/sdk/lambda wrapHandler, /next wrapRouteHandler...) so spans are sent before the freeze`,
    });
  } else {
    add({
      id: 'runtime',
      status: 'info',
      title: 'Runtime',
      detail:
        'long-running process: spans go out every 5 s and at exit; a script that ends right after recording should `await flush()`',
    });
  }

  return {
    ok: !checks.some((c) => c.status === 'warn' || c.status === 'fail'),
    sdkVersion: SDK_VERSION,
    ...(baseUrl && { baseUrl }),
    ...(tracesUrl && { tracesUrl }),
    ...(apiKey && { keyPrefix: redactKey(apiKey) }),
    checks,
  };
}

function enabledCheck(): DoctorCheck {
  const raw = process.env.BENTOLABS_ENABLED?.trim();
  try {
    if (disabledByEnvironment()) {
      return {
        id: 'enabled',
        status: 'fail',
        title: 'Enabled',
        detail: `BENTOLABS_ENABLED=${raw}: every SDK call is a no-op and nothing is sent`,
        fix: 'Unset BENTOLABS_ENABLED (or set it to true) where you expect spans.',
      };
    }
    return {
      id: 'enabled',
      status: 'ok',
      title: 'Enabled',
      detail: raw ? `BENTOLABS_ENABLED=${raw}` : 'yes (BENTOLABS_ENABLED not set)',
    };
  } catch (error) {
    return {
      id: 'enabled',
      status: 'fail',
      title: 'Enabled',
      detail: (error as Error).message,
      fix: 'Set BENTOLABS_ENABLED to true or false (or 1/0), or unset it.',
    };
  }
}

function urlCheck(baseUrl: string, tracesUrl: string, source: string): DoctorCheck {
  const url = new URL(baseUrl);
  const detail = `${baseUrl} (${source}); spans go to ${tracesUrl}`;
  if (/\/v1\/traces$/.test(url.pathname)) {
    return {
      id: 'base_url',
      status: 'fail',
      title: 'Base URL',
      detail: `${detail}: the SDK appends /v1/traces itself`,
      fix: `Set BENTOLABS_BASE_URL to ${baseUrl.replace(/\/v1\/traces$/, '')} (without /v1/traces).`,
    };
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    return {
      id: 'base_url',
      status: 'warn',
      title: 'Base URL',
      detail: `${detail}: http:// to another machine sends the API key in clear text`,
      fix: 'Use an https:// URL.',
    };
  }
  return { id: 'base_url', status: 'ok', title: 'Base URL', detail };
}

/** A local URL is right on a laptop and wrong in production: there it silently goes nowhere. */
function deploymentCheck(baseUrl: string): DoctorCheck {
  const host = new URL(baseUrl).hostname;
  const platform = detectServerless();
  const production = process.env.NODE_ENV === 'production';
  if (isLoopback(host) && (platform || production)) {
    const where =
      platform === 'aws_lambda'
        ? `AWS Lambda (AWS_LAMBDA_FUNCTION_NAME=${process.env.AWS_LAMBDA_FUNCTION_NAME ?? '?'})`
        : (platform ?? 'NODE_ENV=production');
    return {
      id: 'deployment',
      status: 'warn',
      title: 'Deployment',
      detail: `the base URL points at this machine (${host}) while running in ${where}: spans go nowhere`,
      fix: 'Unset BENTOLABS_BASE_URL in deployed environments (the default is https://api.bentolabs.ai).',
    };
  }
  return {
    id: 'deployment',
    status: 'ok',
    title: 'Deployment',
    detail: isLoopback(host) ? 'local endpoint, not in a production environment' : 'remote endpoint',
  };
}

/** GET with node:http, like the SDK's transport (fetch refuses "bad ports" such as 6666 that node:http allows). */
function probe(target: string, timeout: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const req = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: 'GET', headers: { 'user-agent': `bentolabs-doctor/${SDK_VERSION}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.setTimeout(timeout, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', reject);
    req.end();
  });
}

async function reachCheck(tracesUrl: string, timeout: number): Promise<DoctorCheck> {
  const base = { id: 'reachable' as const, title: 'Reachable' };
  const host = new URL(tracesUrl);
  try {
    // Any HTTP answer proves the network path; the export checks below judge the answer itself.
    const status = await probe(tracesUrl, timeout);
    return { ...base, status: 'ok', detail: `${host.host} answers (HTTP ${status} to a GET)` };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const code = e.code ?? e.message;
    const fix =
      code === 'ECONNREFUSED' && isLoopback(host.hostname)
        ? `Nothing listens on ${host.host}: start the local endpoint with \`npx bentolabs dev --port ${host.port || 80}\`, or fix BENTOLABS_BASE_URL.`
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `The host ${host.hostname} does not resolve: check BENTOLABS_BASE_URL for typos.`
          : code === 'timeout'
            ? 'No answer in time: check firewalls and egress (a Lambda in a VPC needs a NAT gateway to reach the internet).'
            : /CERT|SSL|TLS/i.test(code)
              ? "TLS failed: check the URL's host name, or NODE_EXTRA_CA_CERTS behind a corporate proxy."
              : 'Check BENTOLABS_BASE_URL and that this machine can reach it.';
    return {
      ...base,
      status: 'fail',
      detail: `cannot reach ${host.host}: ${code === 'timeout' ? `no answer within ${timeout} ms` : `${code}${e.message && e.message !== code ? ` (${e.message})` : ''}`}`,
      fix,
    };
  }
}

/** One real span through the SDK's exporter, per encoding. */
async function exportChecks(
  apiKey: string,
  baseUrl: string,
  configured: BentoProtocol,
  timeout: number,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const proto = await sendTestSpan(apiKey, baseUrl, 'http/protobuf', timeout);
  const authFailure = proto.status === 401 || proto.status === 403;
  if (authFailure) {
    const fix =
      proto.status === 401
        ? 'The endpoint does not know this key: copy the public key (bl_pk_…) of your project again, and check BENTOLABS_BASE_URL points at the right region.'
        : 'The key is valid but not allowed here: use the key of the project (and region) that BENTOLABS_BASE_URL points at.';
    out.push({
      id: 'auth',
      status: 'fail',
      title: 'Key accepted',
      detail: `HTTP ${proto.status}: the endpoint refused ${redactKey(apiKey)}${proto.error ? ` (${proto.error})` : ''}`,
      fix,
    });
    out.push(
      { id: 'protobuf', status: 'skip', title: 'Protobuf', detail: 'skipped: key refused' },
      { id: 'json', status: 'skip', title: 'JSON', detail: 'skipped: key refused' },
    );
    return out;
  }
  if (proto.status === 404) {
    out.push({ id: 'auth', status: 'skip', title: 'Key accepted', detail: 'unknown: no OTLP endpoint answered' });
    out.push({
      id: 'protobuf',
      status: 'fail',
      title: 'Protobuf',
      detail: `HTTP 404 at ${baseUrl}/v1/traces: no OTLP endpoint there`,
      fix: 'Set BENTOLABS_BASE_URL to the API root (e.g. https://api.bentolabs.ai or http://localhost:8080).',
    });
    return out;
  }
  const acceptedKey = proto.ok || proto.fellBackToJson;
  out.push(
    acceptedKey
      ? { id: 'auth', status: 'ok', title: 'Key accepted', detail: `${redactKey(apiKey)} accepted` }
      : {
          id: 'auth',
          status: 'skip',
          title: 'Key accepted',
          detail: `unknown: the export failed (${proto.error ?? 'no answer'})`,
        },
  );
  if (proto.fellBackToJson) {
    out.push({
      id: 'protobuf',
      status: 'warn',
      title: 'Protobuf',
      detail:
        'HTTP 415: the endpoint does not accept OTLP protobuf (the SDK retries such a batch as JSON, once per process)',
      fix: 'Set BENTOLABS_PROTOCOL=http/json so no request is refused first.',
    });
  } else if (proto.ok) {
    out.push({
      id: 'protobuf',
      status: 'ok',
      title: 'Protobuf',
      detail: `a test span was accepted (HTTP ${proto.status})`,
    });
  } else {
    out.push({
      id: 'protobuf',
      status: 'fail',
      title: 'Protobuf',
      detail: `the test span was not accepted: ${proto.error ?? `HTTP ${proto.status}`}`,
      fix: 'See the error above; `BENTOLABS_LOG_LEVEL=debug` shows every export attempt.',
    });
  }
  const json = await sendTestSpan(apiKey, baseUrl, 'http/json', timeout);
  if (json.ok)
    out.push({ id: 'json', status: 'ok', title: 'JSON', detail: `a test span was accepted (HTTP ${json.status})` });
  else if (configured === 'http/json' || !proto.ok) {
    out.push({
      id: 'json',
      status: 'fail',
      title: 'JSON',
      detail: `the test span was not accepted: ${json.error ?? `HTTP ${json.status}`}`,
      fix:
        configured === 'http/json'
          ? 'Unset BENTOLABS_PROTOCOL to use protobuf.'
          : 'The endpoint takes neither encoding: check BENTOLABS_BASE_URL.',
    });
  } else
    out.push({
      id: 'json',
      status: 'info',
      title: 'JSON',
      detail: `not accepted (${json.error ?? `HTTP ${json.status}`}); protobuf, the default, works`,
    });
  return out;
}

interface SendResult {
  ok: boolean;
  status?: number;
  error?: string;
  /** The endpoint answered 415 to protobuf and the exporter switched to JSON. */
  fellBackToJson: boolean;
}

async function sendTestSpan(
  apiKey: string,
  baseUrl: string,
  protocol: BentoProtocol,
  timeout: number,
): Promise<SendResult> {
  // A private provider: the span never touches a global tracer or the host's exporters.
  const ended: ReadableSpan[] = [];
  const collect: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (s) => void ended.push(s),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bentolabs-doctor' }),
    spanProcessors: [collect],
  });
  provider
    .getTracer('@bentolabs/sdk/doctor', SDK_VERSION)
    .startSpan('bentolabs.doctor', {
      attributes: { 'bentolabs.doctor': true, 'bentolabs.doctor.protocol': protocol, 'input.value': 'doctor check' },
    })
    .end();
  const exporter = new BentoLabsTraceExporter({
    ...ISOLATE,
    apiKey,
    baseUrl,
    protocol,
    exportTimeoutMillis: timeout,
    flushOnExit: false,
  });
  const tally = await exporter.exportWithTally(ended);
  await exporter.shutdown();
  const last = exporter.lastOutcome;
  return {
    ok: tally.exported === ended.length && ended.length > 0 && exporter.currentProtocol === protocol,
    ...(last?.httpStatus !== undefined && { status: last.httpStatus }),
    ...(last?.error !== undefined && { error: last.error }),
    fellBackToJson: protocol === 'http/protobuf' && exporter.currentProtocol === 'http/json',
  };
}

/** The report as terminal text: one line per check, the fix under each problem. */
export function formatDoctor(report: DoctorReport, color = false): string {
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const icon: Record<CheckStatus, string> = {
    ok: paint('32', '✓'),
    info: paint('34', 'i'),
    warn: paint('33', '!'),
    fail: paint('31', '✗'),
    skip: paint('2', '-'),
  };
  const lines = [`BentoLabs doctor — @bentolabs/sdk ${report.sdkVersion}`, ''];
  for (const c of report.checks) {
    lines.push(`  ${icon[c.status]} ${c.title.padEnd(13)} ${c.detail}`);
    if (c.fix) lines.push(`    ${' '.repeat(13)} ${paint('1', 'fix:')} ${c.fix}`);
  }
  const problems = report.checks.filter((c) => c.status === 'warn' || c.status === 'fail').length;
  lines.push('', problems === 0 ? paint('32', 'No problems found.') : paint('31', `${problems} problem(s) found.`));
  return lines.join('\n');
}
