/**
 * `bentolabs doctor` on Lambda shows how the adapter delivers there and why (status().lambda).
 */
import { expect, test } from 'vitest';
import { runDoctor } from '../dev/helpers.js';
import { API_KEY } from './helpers.js';

const lambdaCheck = async (env: Record<string, string>) => {
  const { report } = await runDoctor({
    BENTOLABS_API_KEY: API_KEY,
    BENTOLABS_BASE_URL: 'http://127.0.0.1:9',
    AWS_LAMBDA_FUNCTION_NAME: 'fn',
    ...env,
  });
  return report.checks.find((c) => c.id === 'lambda');
};

test('doctor shows the Lambda delivery mode and its reason', async () => {
  expect(await lambdaCheck({ AWS_LAMBDA_MAX_CONCURRENCY: '8' })).toMatchObject({
    status: 'info',
    detail: expect.stringMatching(/^delivery managed-instances: Lambda Managed Instances/),
  });
  expect(await lambdaCheck({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' })).toMatchObject({
    detail: expect.stringMatching(/^delivery inline: the extension was not registered during init/),
  });
});
