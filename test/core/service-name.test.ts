/** `service.name` defaults: the Lambda function, else the app's package name, never a placeholder when either exists. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { resolveOptions } from '../../src/index.js';
import { sandboxEnv } from '../support/sdk-helpers.js';

const apiKey = 'bl_pk_service_name_1234';

describe('service.name default', () => {
  let restoreEnv: () => void;
  const cwd = process.cwd();
  beforeEach(() => {
    restoreEnv = sandboxEnv();
  });
  afterEach(() => {
    process.chdir(cwd);
    restoreEnv();
  });

  const project = (pkg: unknown) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bentolabs-svc-'));
    fs.writeFileSync(path.join(dir, 'package.json'), typeof pkg === 'string' ? pkg : JSON.stringify(pkg));
    const nested = path.join(dir, 'src', 'jobs');
    fs.mkdirSync(nested, { recursive: true });
    return { dir, nested };
  };

  test('the nearest package.json name, from a subdirectory too', () => {
    const { nested } = project({ name: 'acme-support-api', version: '1.0.0' });
    process.chdir(nested);
    expect(resolveOptions({ apiKey }).serviceName).toBe('acme-support-api');
  });

  test('the Lambda function name wins over the package, OTEL_SERVICE_NAME and the option over both', () => {
    const { dir } = project({ name: 'acme-support-api' });
    process.chdir(dir);
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'support-handler';
    expect(resolveOptions({ apiKey }).serviceName).toBe('support-handler');
    process.env.OTEL_SERVICE_NAME = 'from-otel';
    expect(resolveOptions({ apiKey }).serviceName).toBe('from-otel');
    expect(resolveOptions({ apiKey, serviceName: 'explicit' }).serviceName).toBe('explicit');
  });

  test("no package.json, or one without a usable name: OpenTelemetry's placeholder, never an error", () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'bentolabs-svc-bare-'));
    process.chdir(bare);
    const expected = fs.existsSync(path.join(os.tmpdir(), 'package.json'))
      ? expect.any(String)
      : 'unknown_service:node';
    expect(resolveOptions({ apiKey }).serviceName).toEqual(expected);
    process.chdir(project({ version: '1.0.0' }).dir);
    expect(resolveOptions({ apiKey }).serviceName).toBe('unknown_service:node');
    process.chdir(project('{ not json').dir);
    expect(resolveOptions({ apiKey }).serviceName).toBe('unknown_service:node');
  });
});
