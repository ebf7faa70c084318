/**
 * What the adapters read from an AWS Lambda invocation: the attributes every span of it carries
 * and its deadline. Shared by the Lambda, Middy and Express (serverless-http) adapters.
 */
import type { Attributes } from '@opentelemetry/api';
import { shared } from './global.js';

/** The parts of the Lambda `Context` the adapter reads; the real `Context` satisfies it. */
export interface LambdaContextLike {
  awsRequestId: string;
  functionName: string;
  functionVersion?: string;
  invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
  callbackWaitsForEmptyEventLoop?: boolean;
  succeed?(...args: never[]): void;
  fail?(...args: never[]): void;
  done?(...args: never[]): void;
}

// Process-wide on purpose (the global slot, so the ESM and CommonJS copies agree): a cold start is
// a property of the process, not of a request.
const processState = shared('lambdaProcess', () => ({ coldStart: true }));

/** Per-invocation attributes (`faas.invocation_id`, name, ARN, cold start); used by every adapter that runs on Lambda. */
export function lambdaAttributes(context: LambdaContextLike | undefined): Attributes {
  const attrs: Attributes = {
    'cloud.provider': 'aws',
    'cloud.platform': 'aws_lambda',
    'faas.coldstart': processState.coldStart,
  };
  processState.coldStart = false;
  if (!context || typeof context !== 'object') return attrs;
  if (typeof context.awsRequestId === 'string') attrs['faas.invocation_id'] = context.awsRequestId;
  if (typeof context.functionName === 'string') attrs['faas.name'] = context.functionName;
  if (typeof context.functionVersion === 'string') attrs['faas.version'] = context.functionVersion;
  if (typeof context.invokedFunctionArn === 'string') attrs['cloud.resource_id'] = context.invokedFunctionArn;
  return attrs;
}

/** Epoch-ms deadline from `getRemainingTimeInMillis()`, or `undefined` when the context cannot tell. */
export function deadlineOf(context: LambdaContextLike | undefined): number | undefined {
  try {
    const remaining = context?.getRemainingTimeInMillis?.();
    return typeof remaining === 'number' && Number.isFinite(remaining) ? Date.now() + remaining : undefined;
  } catch {
    return undefined;
  }
}
