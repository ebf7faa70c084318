/**
 * `bentolabs doctor` in every failure mode it claims to detect, against real endpoints: the
 * local dev server (healthy, --api-key, --reject-protobuf), the shared test receiver answering
 * 401, and a port nothing listens on. Each run is the built CLI in a clean environment.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OtlpReceiver } from '../support/receiver.js';
import { cliPath, getJson, ROOT, runDoctor, startDev, tempDir, type DevProcess, type DoctorJson } from './helpers.js';

const KEY = 'bl_pk_test_doctor_9876';
let dir: string;
let dev: DevProcess;

beforeAll(async () => {
  dir = tempDir();
  dev = await startDev(path.join(dir, 'spans.ndjson'));
});
afterAll(async () => {
  await dev?.stop();
});

const check = (report: DoctorJson, id: string) => {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${JSON.stringify(report.checks)}`);
  return found;
};
const problems = (report: DoctorJson) =>
  report.checks.filter((c) => c.status === 'warn' || c.status === 'fail').map((c) => c.id);

describe('bentolabs doctor', () => {
  test('healthy: key, URL, reachability, both encodings ok; exit 0; it leaves no span in the data', async () => {
    type Health = { spans: number; requests: Record<string, number> };
    const before = await getJson<Health>(`${dev.url}/healthz`);
    const { code, report } = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: dev.url });
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.keyPrefix).toBe('bl_pk_…9876');
    expect(check(report, 'api_key').detail).not.toContain(KEY);
    expect(report.baseUrl).toBe(dev.url);
    for (const id of ['sdk', 'enabled', 'api_key', 'base_url', 'deployment', 'reachable', 'auth', 'protobuf', 'json'])
      expect(check(report, id).status, id).toBe('ok');
    // Both encodings really reached the endpoint, and nothing was stored.
    const after = await getJson<Health>(`${dev.url}/healthz`);
    expect(JSON.stringify(after.requests)).not.toBe(JSON.stringify(before.requests));
    expect(after.spans).toBe(before.spans);
    const { spans } = await getJson<{ spans: unknown[] }>(`${dev.url}/api/spans`);
    expect(spans).toHaveLength(before.spans);
  });

  test('the text report lists each check and says there are no problems', async () => {
    const run = spawnSync(process.execPath, [cliPath(), 'doctor'], {
      env: { PATH: process.env.PATH, BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: dev.url },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/✓ API key\s+bl_pk_…9876/);
    expect(run.stdout).toContain('No problems found.');
  });

  test('no key in this process', async () => {
    const { code, report } = await runDoctor({ BENTOLABS_BASE_URL: dev.url });
    expect(code).toBe(1);
    expect(check(report, 'api_key')).toMatchObject({
      status: 'fail',
      detail: 'BENTOLABS_API_KEY is not set in this process',
    });
    expect(check(report, 'api_key').fix).toMatch(/BENTOLABS_API_KEY=bl_pk_/);
    expect(check(report, 'auth').status).toBe('skip');
  });

  test('a key of the wrong format, never printed whole', async () => {
    const { code, report, stdout } = await runDoctor({
      BENTOLABS_API_KEY: 'sk_live_secret_abcdef',
      BENTOLABS_BASE_URL: dev.url,
    });
    expect(code).toBe(1);
    expect(check(report, 'api_key').status).toBe('fail');
    expect(check(report, 'api_key').detail).toMatch(/start with `bl_pk_`/);
    expect(stdout).not.toContain('sk_live_secret_abcdef');
  });

  test('endpoint unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { code, report } = await runDoctor({
      BENTOLABS_API_KEY: KEY,
      BENTOLABS_BASE_URL: `http://127.0.0.1:${port}`,
    });
    expect(code).toBe(1);
    expect(check(report, 'reachable')).toMatchObject({ status: 'fail' });
    expect(check(report, 'reachable').detail).toContain('ECONNREFUSED');
    expect(check(report, 'reachable').fix).toContain(`npx bentolabs dev --port ${port}`);
    expect(check(report, 'protobuf').status).toBe('skip');
  });

  test('401: the endpoint refuses the key', async () => {
    const receiver = await OtlpReceiver.start();
    try {
      receiver.setFault({ kind: 'status', status: 401, body: '{"error":"unknown key"}' });
      const { code, report } = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: receiver.url });
      expect(code).toBe(1);
      expect(check(report, 'auth')).toMatchObject({ status: 'fail' });
      expect(check(report, 'auth').detail).toMatch(/^HTTP 401: the endpoint refused bl_pk_…9876/);
      expect(check(report, 'auth').fix).toMatch(/public key/);
    } finally {
      await receiver.close();
    }
  });

  test('403: a well-formed key this endpoint does not allow (dev --api-key)', async () => {
    const strict = await startDev(path.join(dir, 'strict.ndjson'), ['--api-key', 'bl_pk_the_right_one_0000']);
    try {
      const { code, report } = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: strict.url });
      expect(code).toBe(1);
      expect(check(report, 'auth').status).toBe('fail');
      expect(check(report, 'auth').detail).toMatch(/^HTTP 403/);
    } finally {
      await strict.stop();
    }
  });

  test('415 to protobuf, JSON accepted (dev --reject-protobuf)', async () => {
    const jsonOnly = await startDev(path.join(dir, 'json-only.ndjson'), ['--reject-protobuf']);
    try {
      const { code, report } = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: jsonOnly.url });
      expect(code).toBe(1);
      expect(check(report, 'auth').status).toBe('ok');
      expect(check(report, 'protobuf')).toMatchObject({ status: 'warn' });
      expect(check(report, 'protobuf').detail).toMatch(/415/);
      expect(check(report, 'protobuf').fix).toContain('BENTOLABS_PROTOCOL=http/json');
      expect(check(report, 'json').status).toBe('ok');
      expect(problems(report)).toEqual(['protobuf']);
    } finally {
      await jsonOnly.stop();
    }
  });

  test('the same 415 through the shared receiver fault', async () => {
    const receiver = await OtlpReceiver.start();
    try {
      receiver.setFault({ kind: 'reject-protobuf' });
      const { report } = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: receiver.url });
      expect(problems(report)).toEqual(['protobuf']);
      // Both encodings were tried, and no span was sent: doctor leaves nothing in the data.
      expect(
        receiver.requests
          .filter((r) => r.method === 'POST')
          .map((r) => r.encoding)
          .sort(),
      ).toEqual(['json', 'protobuf']);
      expect(receiver.spans).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  test.each([
    ['NODE_ENV=production', { NODE_ENV: 'production' }, /NODE_ENV=production/],
    ['AWS Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'checkout-fn' }, /AWS Lambda \(AWS_LAMBDA_FUNCTION_NAME=checkout-fn\)/],
  ])('a localhost base URL in %s', async (_name, env, where) => {
    const { code, report } = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: dev.url, ...env });
    expect(code).toBe(1);
    expect(check(report, 'deployment').status).toBe('warn');
    expect(check(report, 'deployment').detail).toMatch(where);
    expect(check(report, 'deployment').fix).toMatch(/Unset BENTOLABS_BASE_URL/);
    expect(problems(report)).toEqual(['deployment']);
  });

  test('BENTOLABS_ENABLED=false disables the SDK', async () => {
    const { code, report } = await runDoctor({
      BENTOLABS_API_KEY: KEY,
      BENTOLABS_BASE_URL: dev.url,
      BENTOLABS_ENABLED: 'false',
    });
    expect(code).toBe(1);
    expect(check(report, 'enabled')).toMatchObject({ status: 'fail' });
    expect(check(report, 'enabled').fix).toMatch(/Unset BENTOLABS_ENABLED/);
    expect(check(report, 'protobuf').status).toBe('ok'); // the endpoint is still checked
  });

  test('a base URL without a scheme, and one that already ends in /v1/traces', async () => {
    const noScheme = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: 'localhost:8080' });
    expect(noScheme.code).toBe(1);
    expect(check(noScheme.report, 'base_url').status).toBe('fail');
    expect(check(noScheme.report, 'base_url').detail).toContain('`localhost:8080`');
    expect(check(noScheme.report, 'reachable').status).toBe('skip');

    // The SDK normalises it (and warns at init); doctor says the same, and the export still works.
    const doubled = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: `${dev.url}/v1/traces` });
    expect(check(doubled.report, 'base_url').status).toBe('warn');
    expect(check(doubled.report, 'base_url').detail).toMatch(/ends in \/v1\/traces/);
    expect(check(doubled.report, 'base_url').fix).toBe(`Set BENTOLABS_BASE_URL to ${dev.url}.`);
    expect(check(doubled.report, 'protobuf').status).toBe('ok');
  });

  test('http:// to another host warns that the key travels in clear text', async () => {
    const { code, report } = await runDoctor({
      BENTOLABS_API_KEY: KEY,
      BENTOLABS_BASE_URL: 'http://bentolabs-doctor-test.invalid',
    });
    expect(code).toBe(1);
    expect(check(report, 'base_url')).toMatchObject({ status: 'warn', fix: 'Use an https:// URL.' });
    expect(check(report, 'reachable').status).toBe('fail');
  });

  test('--api-key and --base-url override the environment, like init() arguments', async () => {
    const { code, report } = await runDoctor({ BENTOLABS_API_KEY: 'nope', BENTOLABS_BASE_URL: 'localhost:1' }, [
      '--api-key',
      KEY,
      '--base-url',
      dev.url,
    ]);
    expect(code).toBe(0);
    expect(check(report, 'api_key').detail).toContain('from --api-key');
  });

  test.each([
    ['plain', 'warn', /is not wrapped by wrapHandler/],
    ['wrapped', 'ok', /is wrapped by wrapHandler/],
  ])('in AWS Lambda, a %s handler (_HANDLER) is checked for wrapHandler', async (name, status, detail) => {
    const fixtures = path.join(ROOT, 'test/fixtures/dev');
    const { report } = await runDoctor({
      BENTOLABS_API_KEY: KEY,
      AWS_LAMBDA_FUNCTION_NAME: 'checkout-fn',
      LAMBDA_TASK_ROOT: fixtures,
      _HANDLER: `lambda-handlers.${name}`,
    });
    expect(check(report, 'handler').status).toBe(status);
    expect(check(report, 'handler').detail).toMatch(detail);
    if (status === 'warn') expect(check(report, 'handler').fix).toMatch(/wrapHandler/);
  });

  test('--handler checks a handler outside Lambda too', async () => {
    const { report } = await runDoctor({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: dev.url }, [
      '--handler',
      path.join(ROOT, 'test/fixtures/dev/lambda-handlers.mjs#plain'),
    ]);
    expect(check(report, 'handler').status).toBe('warn');
  });
});
