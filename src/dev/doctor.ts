/**
 * `bentolabs doctor`: the vendor's "nothing shows up" troubleshooting page as one command. Each
 * check resolves configuration with the SDK's own `resolveOptions` (so it sees exactly what the
 * SDK would) and talks to the endpoint through the SDK's own exporter.
 */
import {
  detectServerless,
  disabledByEnvironment,
  environmentValue,
  redactKey,
  resolveOptions,
  type BentoProtocol,
} from '../core/config.js';
import { configFindings, isLoopbackHost } from '../core/config-warnings.js';
import { BentoAuthError } from '../core/errors.js';
import { extensionState } from '../core/lambda-state.js';
import { SDK_VERSION } from '../core/version.js';
import { handlerCheck } from './doctor-handler.js';
import { exportChecks, reachCheck } from './doctor-network.js';

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
    | 'runtime'
    | 'handler'
    | 'lambda';
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
  /** A Lambda handler to check for `wrapHandler`, `file[#export]`; in Lambda, `_HANDLER` by default. */
  handler?: string;
}

// Placeholders isolate one option per resolveOptions() call, so one bad value does not hide the rest.
const PLACEHOLDER_KEY = 'bl_pk_doctor_placeholder';
const PLACEHOLDER_URL = 'https://doctor.invalid';
const ISOLATE = { logLevel: 'silent', enabled: true, serviceName: 'bentolabs-doctor' } as const;

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
            fix:
              'Set BENTOLABS_API_KEY=bl_pk_… in the environment that starts this process ' +
              '(IDE, CI, Lambda configuration), not only in your shell profile.',
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
      : environmentValue('BENTOLABS_BASE_URL')
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
    add(urlCheck(resolved, urlSource, options));
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
      detail: `${protocol}${environmentValue('BENTOLABS_PROTOCOL') ? ' (from BENTOLABS_PROTOCOL)' : ' (default)'}`,
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

  if (baseUrl) add(deploymentCheck(baseUrl, options));

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
  const handler = await handlerCheck(options.handler);
  if (handler) add(handler);
  if (platform) {
    add({
      id: 'runtime',
      status: 'info',
      title: 'Runtime',
      detail:
        `${platform}: wrap handlers with the adapter (@bentolabs/sdk/lambda wrapHandler, /next wrapRouteHandler...) ` +
        'so spans are sent before the freeze',
    });
    if (platform === 'aws_lambda') {
      const { delivery, reason } = extensionState();
      add({ id: 'lambda', status: 'info', title: 'Lambda', detail: `delivery ${delivery}: ${reason}` });
    }
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
  const raw = environmentValue('BENTOLABS_ENABLED');
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

/** What init() would warn about this URL (a placeholder key: only the URL matters here). */
function findings(options: DoctorOptions) {
  const resolved = resolveOptions({ ...ISOLATE, apiKey: PLACEHOLDER_KEY, baseUrl: options.baseUrl });
  return configFindings(resolved, { baseUrl: options.baseUrl });
}

function urlCheck(
  resolved: { baseUrl: string; tracesUrl: string },
  source: string,
  options: DoctorOptions,
): DoctorCheck {
  const detail = `${resolved.baseUrl} (${source}); spans go to ${resolved.tracesUrl}`;
  // The same findings init() warns about (config-warnings.ts), so doctor and the SDK never disagree.
  const found = findings(options).filter((f) => f.code !== 'base_url_local_in_production');
  const first = found[0];
  if (first) {
    const fix =
      first.code === 'base_url_traces_path' && source === '--base-url'
        ? `Use --base-url ${resolved.baseUrl}.`
        : first.fix;
    return { id: 'base_url', status: 'warn', title: 'Base URL', detail: `${detail}: ${first.message}`, fix };
  }
  return { id: 'base_url', status: 'ok', title: 'Base URL', detail };
}

/** A local URL is right on a laptop and wrong in production: there it silently goes nowhere. */
function deploymentCheck(baseUrl: string, options: DoctorOptions): DoctorCheck {
  const local = findings(options).find((f) => f.code === 'base_url_local_in_production');
  if (local) return { id: 'deployment', status: 'warn', title: 'Deployment', detail: local.message, fix: local.fix };
  return {
    id: 'deployment',
    status: 'ok',
    title: 'Deployment',
    detail: isLoopbackHost(new URL(baseUrl).hostname)
      ? 'local endpoint, not in a production environment'
      : 'remote endpoint',
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
