/**
 * The network half of `bentolabs doctor`: can this machine reach the endpoint, does it accept the
 * key, and which encodings does it take. The export checks send a valid OTLP request that carries
 * a resource but **no span**, through the SDK's own transport with the SDK's own headers: it proves
 * the URL, the key and the encoding, and leaves nothing in the user's data.
 */
import http from 'node:http';
import https from 'node:https';
import { isLoopbackHost } from '../core/config-warnings.js';
import { redactKey, type BentoProtocol } from '../core/config.js';
import { sendWithRetry } from '../core/transport.js';
import { SDK_VERSION } from '../core/version.js';
import type { DoctorCheck } from './doctor.js';

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

function describeCode(code: string, e: Error): string {
  return `${code}${e.message && e.message !== code ? ` (${e.message})` : ''}`;
}

export async function reachCheck(tracesUrl: string, timeout: number): Promise<DoctorCheck> {
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
      code === 'ECONNREFUSED' && isLoopbackHost(host.hostname)
        ? `Nothing listens on ${host.host}: start the local endpoint with ` +
          `\`npx bentolabs dev --port ${host.port || 80}\`, or fix BENTOLABS_BASE_URL.`
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
      detail: `cannot reach ${host.host}: ${code === 'timeout' ? `no answer within ${timeout} ms` : describeCode(code, e)}`,
      fix,
    };
  }
}

/** One export request without spans per encoding, through the SDK's transport. */
export async function exportChecks(
  apiKey: string,
  baseUrl: string,
  configured: BentoProtocol,
  timeout: number,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const proto = await sendProbe(apiKey, baseUrl, 'http/protobuf', timeout);
  const authFailure = proto.status === 401 || proto.status === 403;
  if (authFailure) {
    const fix =
      proto.status === 401
        ? 'The endpoint does not know this key: copy the public key (bl_pk_…) of your project again, ' +
          'and check BENTOLABS_BASE_URL points at the right region.'
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
  const refusedProtobuf = proto.status === 415;
  // A 415 is answered after authentication on the endpoints we know: the key was looked at.
  const json = await sendProbe(apiKey, baseUrl, 'http/json', timeout);
  const acceptedKey = proto.ok || (refusedProtobuf && json.ok);
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
  if (refusedProtobuf) {
    out.push({
      id: 'protobuf',
      status: 'warn',
      title: 'Protobuf',
      detail: 'HTTP 415: the endpoint does not accept OTLP protobuf (the SDK then resends as JSON, once per process)',
      fix: 'Set BENTOLABS_PROTOCOL=http/json so no request is refused first.',
    });
  } else if (proto.ok) {
    out.push({
      id: 'protobuf',
      status: 'ok',
      title: 'Protobuf',
      detail: `an export request (no spans) was accepted (HTTP ${proto.status})`,
    });
  } else {
    out.push({
      id: 'protobuf',
      status: 'fail',
      title: 'Protobuf',
      detail: `an export request was not accepted: ${proto.error ?? `HTTP ${proto.status}`}`,
      fix: 'See the error above; `BENTOLABS_LOG_LEVEL=debug` shows every export attempt.',
    });
  }
  if (json.ok)
    out.push({
      id: 'json',
      status: 'ok',
      title: 'JSON',
      detail: `an export request (no spans) was accepted (HTTP ${json.status})`,
    });
  else if (configured === 'http/json' || !proto.ok) {
    out.push({
      id: 'json',
      status: 'fail',
      title: 'JSON',
      detail: `an export request was not accepted: ${json.error ?? `HTTP ${json.status}`}`,
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
}

const SERVICE = 'bentolabs-doctor';

/** A length-delimited protobuf field (every length here is under 128 bytes: one-byte varints). */
function field(tag: number, bytes: Uint8Array): Uint8Array {
  return Uint8Array.from([(tag << 3) | 2, bytes.length, ...bytes]);
}

/**
 * `ExportTraceServiceRequest { resource_spans: [{ resource: { service.name } }] }`: no scope, no
 * span. Valid OTLP, which an endpoint answers like any export, and stores nothing from.
 */
export function emptyExportRequest(protocol: BentoProtocol): Uint8Array {
  if (protocol === 'http/json') {
    const body = {
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: SERVICE } }] }, scopeSpans: [] },
      ],
    };
    return new TextEncoder().encode(JSON.stringify(body));
  }
  const text = (s: string) => new TextEncoder().encode(s);
  const keyValue = Uint8Array.from([...field(1, text('service.name')), ...field(2, field(1, text(SERVICE)))]);
  return field(1, field(1, field(1, keyValue)));
}

const CONTENT_TYPE: Record<BentoProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
};

async function sendProbe(
  apiKey: string,
  baseUrl: string,
  protocol: BentoProtocol,
  timeout: number,
): Promise<SendResult> {
  const outcome = await sendWithRetry(
    `${baseUrl}/v1/traces`,
    emptyExportRequest(protocol),
    {
      Authorization: `Bearer ${apiKey}`,
      'Content-Type': CONTENT_TYPE[protocol],
      'User-Agent': `bentolabs-doctor/${SDK_VERSION}`,
    },
    Date.now() + timeout,
  );
  // Gateways echo the Authorization header in error bodies; never print the key.
  const error = outcome.error?.split(apiKey).join(redactKey(apiKey));
  return {
    ok: outcome.ok,
    ...(outcome.status !== undefined && { status: outcome.status }),
    ...(error !== undefined && { error }),
  };
}
