/**
 * Configuration that resolves but is probably wrong, judged once, here, for both `init()` (which
 * warns) and `bentolabs doctor` (which reports): a base URL that already ends in `/v1/traces`, a
 * local endpoint in a deployed environment, and an API key sent in clear text to another machine.
 */
import { detectServerless, environmentValue, type BentoOptions, type ResolvedOptions } from './config.js';

/**
 * Whether a URL host names this machine. The one definition of "loopback" in the SDK: 0.1 had two
 * with opposite verdicts. `localhost` and `*.localhost` (RFC 6761), 127.0.0.0/8 as an IPv4 literal
 * only (`127.0.0.1.nip.io` is a public DNS name of any address), `[::1]`, and `0.0.0.0`, which
 * connects to this machine.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]' ||
    host === '0.0.0.0'
  );
}

/** Where this process is deployed, when that makes a local endpoint wrong; `undefined` on a laptop. */
export function deployedEnvironment(): string | undefined {
  const platform = detectServerless();
  if (platform === 'aws_lambda')
    return `AWS Lambda (AWS_LAMBDA_FUNCTION_NAME=${environmentValue('AWS_LAMBDA_FUNCTION_NAME') ?? '?'})`;
  // An edge isolate is the same under `next start`/`wrangler dev` on a laptop as when deployed, and
  // NODE_ENV=production is what `next start` sets: neither says "deployed" there.
  if (platform === 'edge_runtime' || platform === 'cloudflare_workers') return undefined;
  if (platform) return platform;
  return environmentValue('NODE_ENV') === 'production' ? 'NODE_ENV=production' : undefined;
}

/** Whether this process runs in AWS Lambda. */
export function inLambda(): boolean {
  return detectServerless() === 'aws_lambda';
}

/** One finding about the configuration, with what to do about it. */
export interface ConfigFinding {
  code: 'base_url_traces_path' | 'base_url_local_in_production' | 'base_url_cleartext';
  message: string;
  fix: string;
}

/** The base URL as given (argument, else environment), before normalisation. */
function rawBaseUrl(options: BentoOptions): { raw: string | undefined; source: string } {
  const explicit = typeof options?.baseUrl === 'string' ? options.baseUrl : undefined;
  if (explicit !== undefined) return { raw: explicit, source: '`baseUrl`' };
  return { raw: environmentValue('BENTOLABS_BASE_URL'), source: 'BENTOLABS_BASE_URL' };
}

/** Findings about resolved options; `options` are the ones given, to see the URL before normalisation. */
export function configFindings(resolved: Readonly<ResolvedOptions>, options: BentoOptions = {}): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  const { raw, source } = rawBaseUrl(options);
  if (raw !== undefined && /\/v1\/traces\/*$/.test(raw.trim())) {
    out.push({
      code: 'base_url_traces_path',
      message: `${source} \`${raw.trim()}\` ends in /v1/traces; the SDK appends /v1/traces itself, so it sends to ${resolved.tracesUrl}.`,
      fix: `Set ${source === '`baseUrl`' ? '`baseUrl`' : 'BENTOLABS_BASE_URL'} to ${resolved.baseUrl}.`,
    });
  }
  const url = new URL(resolved.baseUrl);
  const local = isLoopbackHost(url.hostname);
  const deployed = local ? deployedEnvironment() : undefined;
  if (deployed !== undefined) {
    out.push({
      code: 'base_url_local_in_production',
      message: `The base URL ${resolved.baseUrl} points at this machine (${url.hostname}) while running in ${deployed}: spans go nowhere.`,
      fix: 'Unset BENTOLABS_BASE_URL (and `baseUrl`) in deployed environments; the default is https://api.bentolabs.ai.',
    });
  }
  if (url.protocol === 'http:' && !local) {
    out.push({
      code: 'base_url_cleartext',
      message: `The base URL ${resolved.baseUrl} uses http:// to a host other than this machine: the API key travels in clear text.`,
      fix: 'Use an https:// URL.',
    });
  }
  return out;
}
