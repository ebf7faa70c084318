/**
 * The ESM `@bentolabs/sdk/lambda`: the registration (which needs a top-level await, so it cannot
 * live in the CommonJS build) and then the adapter itself. Both stay separate files in dist/ so
 * the adapter is the same module instance as every other ESM entry point.
 */
import { extensionRegistration } from './lambda-register.js';
import { wrapHandler as wrapLambdaHandler } from './lambda.js';

export * from './lambda.js';

/**
 * `wrapHandler` of `./lambda.js`, through a function that uses the registration module: the
 * package is `sideEffects: false`, so a bundler keeps that module (and its top-level await, which
 * registers the extension before the runtime's first `/next`) only if something here uses it.
 */
export const wrapHandler: typeof wrapLambdaHandler = (handler, options) => {
  void extensionRegistration();
  return wrapLambdaHandler(handler, options);
};
